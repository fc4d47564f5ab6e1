// HarvestClient over real HTTPS against the emulator: a personal-access-token connection from
// the store, test connection, paging with prefetch, export, and retries (5xx GET yes, POST no).
#include <filesystem>
#include <fstream>

#include "harvest_connect/harvest/connection_client.hpp"
#include "harvest_connect/harvest/export.hpp"
#include "harvest_connect/harvest/paginator.hpp"
#include "emulator_connection_test.hpp"

using namespace store_test;
namespace harvest = harvest_connect::harvest;
namespace testing_ns = harvest_connect::testing;

namespace {

using HarvestEmulator = EmulatorConnectionTest;

}  // namespace

TEST_F(HarvestEmulator, TestConnectionAndPaging) {
  const auto result = harvest::test_connection(db, "pat", connect);
  EXPECT_TRUE(result.ok) << result.message;
  EXPECT_EQ(result.status_code, 200);
  EXPECT_EQ(db->connection("pat").status, hc::model::ConnectionStatus::authorized);

  auto api = harvest::open_client(db, "pat", connect);
  auto pages = api.paginate("/time_entries", {{"per_page", "100"}});
  std::size_t records = 0;
  while (auto page = pages.next()) records += page->page.records.size();
  EXPECT_EQ(records, 777u);
  EXPECT_EQ(pages.pages_seen(), 8u);
  EXPECT_EQ(pages.total_entries(), 777);
}

TEST_F(HarvestEmulator, ExportWritesEveryRecord) {
  auto api = harvest::open_client(db, "pat", connect);
  const auto file = dir / "entries.jsonl";
  EXPECT_EQ(harvest::export_jsonl(api, "/time_entries", {{"per_page", "250"}}, file), 777u);
  std::ifstream in(file);
  std::size_t lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  EXPECT_EQ(lines, 777u);
}

TEST_F(HarvestEmulator, A5xxIsRetriedForGetNotForPost) {
  auto api = harvest::open_client(db, "pat", connect);
  testing_ns::Faults faults;
  faults.path_prefix = "/v2/users/me";
  faults.error_next = 2;
  faults.error_status = 502;
  emu->service().set_faults(faults);
  EXPECT_NO_THROW((void)api.get("/users/me"));
  std::vector<int> statuses;
  for (const auto& entry : emu->service().request_log()) {
    if (entry.target == "/v2/users/me") statuses.push_back(entry.status);
  }
  EXPECT_EQ(statuses, (std::vector<int>{502, 502, 200}));

  faults.path_prefix = "/v2/time_entries";
  faults.error_next = 1;
  faults.error_status = 500;
  emu->service().set_faults(faults);
  auto posts = [&] {
    std::size_t n = 0;
    for (const auto& entry : emu->service().request_log()) n += entry.method == "POST" ? 1 : 0;
    return n;
  };
  const auto before = posts();
  try {
    (void)api.post("/time_entries", R"({"project_id":1,"task_id":1,"spent_date":"2024-05-01","hours":1})");
    FAIL() << "a POST answered 500 must not be retried";
  } catch (const hc::error& e) {
    EXPECT_EQ(e.http_status(), 500);
  }
  EXPECT_EQ(posts(), before + 1);
}

TEST_F(HarvestEmulator, AWrongAccountIdBlamesTheHeader) {
  hc::model::NewTokenConnection spec;
  spec.name = "wrong";
  spec.access_token = Secret::from_string(emu->service().create_personal_access_token());
  spec.account_id = Secret::from_string("987654321");
  spec.user_agent = "harvest-connect tests (tests@example.com)";
  spec.api_url = emu->api_url();
  spec.id_url = emu->id_url();
  db->create_token_connection(std::move(spec));
  const auto result = harvest::test_connection(db, "wrong", connect);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.status_code, 401);
  EXPECT_NE(result.message.find("Harvest-Account-Id"), std::string::npos) << result.message;
  EXPECT_EQ(db->connection("wrong").status, hc::model::ConnectionStatus::offline);
}
