// Harvest list pages (harvest/page.hpp): the first byte picks the resource hint, the rest is
// the body. Every record handed out must be a view into the body that is itself valid JSON;
// failures are harvest_connect::error only.
#include <boost/json/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "harvest_connect/error.hpp"
#include "harvest_connect/harvest/page.hpp"

namespace hc = harvest_connect;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static constexpr std::string_view hints[] = {"", "time_entries", "results", "users", "projects", "clients"};
  const std::string_view hint = hints[data[0] % 6];
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    const hc::harvest::Page page = hc::harvest::parse_page(body, hint);
    for (std::string_view record : page.records) {
      if (record.data() < body.data() || record.data() + record.size() > body.data() + body.size())
        __builtin_trap();  // not a view into the body
      boost::system::error_code ec;
      (void)boost::json::parse(record, ec);
      if (ec) __builtin_trap();  // a record that is not the JSON value it came from
    }
  } catch (const hc::error&) {
  }
  return 0;
}
