// Hours by project from Harvest, in C++: a store, a connection, paginated time entries.
//
// Runs against the bundled Harvest emulator so that it works offline; against the real
// Harvest, drop the emulator, leave api_url/id_url unset and read the token and account ID
// from a vault or a prompt (never from argv).
#include <harvest_connect/harvest_connect.hpp>
#include <harvest_connect/testing/emulator.hpp>  // target harvest_connect::testing

#include <boost/json.hpp>  // records come back as JSON text; parse them with any JSON library

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>

namespace hc = harvest_connect;

int main() {
  try {
    // A local Harvest (HTTPS with a CA generated for the run) with 3,000 time entries.
    hc::testing::EmulatorOptions emulator_options;
    emulator_options.data.time_entries = 3000;
    hc::testing::Emulator harvest(emulator_options);

    // A store in a temporary directory, opened with an explicit key.
    const auto dir = std::filesystem::temp_directory_path() / ("hc-example-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    hc::store::OpenOptions store_options;
    store_options.path = dir / "store.db";
    store_options.key = hc::crypto::MasterKey::generate();
    std::shared_ptr<hc::store::Store> store = hc::store::Store::open_shared(store_options);

    // A connection with a personal access token (an OAuth connection works the same way
    // once authorized: see docs/examples/harvest_connect.ipynb).
    hc::model::NewTokenConnection spec;
    spec.name = "example";
    spec.access_token = hc::crypto::Secret::from_string(harvest.service().create_personal_access_token());
    spec.account_id = hc::crypto::Secret::from_string(std::to_string(harvest.service().default_account_id()));
    spec.user_agent = "harvest-connect example (https://pypi.org/project/harvest-connect/)";
    spec.api_url = harvest.api_url();
    spec.id_url = harvest.id_url();
    store->create_token_connection(std::move(spec));

    hc::harvest::ConnectOptions options;
    options.http.ca_file = harvest.ca_file();  // trust the emulator's CA
    const hc::harvest::TestResult test = hc::harvest::test_connection(store, "example", options);
    std::cout << "test: " << (test.ok ? "online" : "offline") << " - " << test.message << "\n";
    if (!test.ok) return 1;

    hc::harvest::HarvestClient api = hc::harvest::open_client(store, "example", options);
    std::map<std::string, double> hours;
    std::size_t entries = 0;
    auto pages = api.paginate("/time_entries", {{"per_page", "1000"}});
    while (auto page = pages.next()) {
      for (std::string_view record : page->page.records) {
        const boost::json::object entry = boost::json::parse(record).as_object();
        hours[std::string(entry.at("project").at("name").as_string())] += entry.at("hours").to_number<double>();
        ++entries;
      }
    }
    std::cout << entries << " time entries\n";
    for (const auto& [project, total] : hours) std::printf("%-40s %9.2f\n", project.c_str(), total);

    store.reset();
    std::filesystem::remove_all(dir);
    return entries > 0 ? 0 : 1;
  } catch (const hc::error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
