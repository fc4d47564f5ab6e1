// The journey of docs/cpp.md, built against the installed package (or add_subdirectory) and
// run: store, OAuth client, connection, paste flow against the C++ emulator, test, paginate.
// docs/cpp.md shows the code between the "journey" markers verbatim; the ctest
// cpp_doc_journey_in_sync (tests/package/doc_snippet.cmake) fails when the two differ.
//
// The records are parsed with this program's own copy of Boost.JSON (own_boost_json.cpp
// compiles boost/json/src.hpp) beside the engine, which uses Boost.JSON too: both link and
// work in one program (cpp/cmake/BoostSources.cmake explains why that is safe).
#include <harvest_connect/harvest_connect.hpp>
#include <harvest_connect/testing.hpp>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unistd.h>

#include "own_boost_json.hpp"

namespace {

double total_hours = 0;
std::size_t entries = 0;

void handle(std::string_view record) {
  total_hours += consumer::hours_of(record);  // the consumer's Boost.JSON
  ++entries;
}

int run(const std::filesystem::path& dir) {
  namespace hc = harvest_connect;
  // [journey]
  // A local Harvest for this run (HTTPS with a CA generated at start); against the real
  // Harvest, drop it, leave api_url, id_url and ca_file unset, and read secrets from a
  // prompt or a vault (never from argv).
  hc::testing::Emulator harvest;
  hc::testing::OAuthApp app = harvest.service().register_app("Acme Reports", "http://127.0.0.1/callback");

  // 1. A store (the default location and key file unless given; see docs/security.md).
  //    oauth:: and harvest:: take it as a std::shared_ptr<Store>.
  hc::store::OpenOptions open;
  open.path = dir / "store.db";
  open.key = hc::crypto::MasterKey::generate();
  std::shared_ptr<hc::store::Store> store = hc::store::Store::open_shared(open);

  // 2. An OAuth client, once, and a connection that uses it.
  hc::model::NewOAuthClient client;
  client.name = "harvest-app";
  client.client_id = app.client_id;
  client.client_secret = hc::crypto::Secret::from_string(app.client_secret);
  client.redirect_uri = "http://127.0.0.1/callback";  // the Redirect URL registered at Harvest
  store->create_oauth_client(std::move(client));

  hc::model::NewConnection conn;
  conn.name = "acme";
  conn.oauth_client = "harvest-app";
  conn.account_id = hc::crypto::Secret::from_string(std::to_string(harvest.service().default_account_id()));
  conn.user_agent = "Acme Reports (it@acme.example)";  // Harvest wants a contact
  conn.api_url = harvest.api_url();
  conn.id_url = harvest.id_url();
  store->create_connection(std::move(conn));

  // 3. Save and authorize with the paste flow: open the URL in any browser, sign in, click
  //    "Authorize application", and pass the address the browser lands on. Here the
  //    emulator's approve() plays the browser. (On the user's own computer,
  //    oauth::authorize(store, "acme", options) runs the loopback flow instead.)
  hc::harvest::ConnectOptions options;
  options.http.ca_file = harvest.ca_file();  // trust the emulator's CA
  hc::crypto::Secret url = hc::oauth::authorization_url(store, "acme");
  std::string redirected = harvest.service().approve(std::string(url.reveal_string()));
  hc::oauth::complete_authorization(store, "acme", redirected, options.http);

  // 4. Test the connection, then 5. call the API: tokens refresh by themselves, rate limits
  //    are kept, pages are followed.
  hc::harvest::TestResult test = hc::harvest::test_connection(store, "acme", options);
  if (!test.ok) throw std::runtime_error("the connection is offline: " + test.message);
  hc::harvest::HarvestClient api = hc::harvest::open_client(store, "acme", options);
  auto pages = api.paginate("/time_entries", {{"per_page", "400"}});
  while (auto page = pages.next())
    for (std::string_view record : page->page.records) handle(record);  // one entry's JSON
  // [journey]
  std::cout << "journey: test " << (test.ok ? "online" : "offline") << ", " << entries << " time entries, "
            << total_hours << " hours\n";
  return entries == 1000 && total_hours > 0 ? 0 : 1;  // the emulator's default data set
}

}  // namespace

int main() {
  const auto dir = std::filesystem::temp_directory_path() / ("hc-package-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  int rc = 1;
  try {
    rc = run(dir);
  } catch (const std::exception& e) {
    std::cerr << "package consumer: " << e.what() << "\n";
  }
  std::filesystem::remove_all(dir);
  if (rc == 0)
    std::cout << "package consumer: harvest_connect " << harvest_connect::version << " works\n";
  return rc;
}
