#pragma once
// A store with one personal-access-token connection, "pat", to an emulator over HTTPS that
// holds 777 time entries (several pages at per_page=100): the setup of the tests that call
// the emulator through harvest::open_client.
#include <chrono>
#include <memory>
#include <string>

#include "harvest_connect/harvest/connection_client.hpp"
#include "harvest_connect/testing/emulator.hpp"
#include "store_test_support.hpp"

namespace store_test {

class EmulatorConnectionTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    harvest_connect::testing::EmulatorOptions options;
    options.data.time_entries = 777;
    emu = std::make_unique<harvest_connect::testing::Emulator>(options);
    db = std::make_shared<hc::store::Store>(open(MasterKey::generate()));
    hc::model::NewTokenConnection spec;
    spec.name = "pat";
    spec.access_token = Secret::from_string(emu->service().create_personal_access_token());
    spec.account_id = Secret::from_string(std::to_string(emu->service().default_account_id()));
    spec.user_agent = "harvest-connect tests (tests@example.com)";
    spec.api_url = emu->api_url();
    spec.id_url = emu->id_url();
    db->create_token_connection(std::move(spec));
    connect.http.ca_file = emu->ca_file();
    connect.client.retry.initial_backoff = std::chrono::milliseconds(1);
  }
  std::unique_ptr<harvest_connect::testing::Emulator> emu;
  std::shared_ptr<hc::store::Store> db;
  harvest_connect::harvest::ConnectOptions connect;
};

}  // namespace store_test
