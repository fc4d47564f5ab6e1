// Links the installed engine and exercises it: seal a value and open it again.
#include <harvest_connect/harvest_connect.hpp>

#include <iostream>

int main() {
  namespace hcc = harvest_connect::crypto;
  auto master = hcc::MasterKey::generate();
  auto data_key = hcc::DataKey::generate();
  auto wrapped = hcc::wrap_data_key(master, data_key, "consumer-store");
  auto unwrapped = hcc::unwrap_data_key(master, wrapped, "consumer-store");
  hcc::FieldContext where{"consumer-store", "connections", "1", "account_id"};
  auto sealed = hcc::seal_field(unwrapped.key, unwrapped.id, where, hcc::Secret::from_string("123456").reveal());
  auto opened = hcc::open_field(unwrapped.key, unwrapped.id, where, sealed);
  if (opened.reveal_string() != "123456") {
    std::cerr << "package consumer: round trip failed\n";
    return 1;
  }
  std::cout << "package consumer: harvest_connect " << harvest_connect::version << " works (key id "
            << master.id() << ")\n";
  return 0;
}
