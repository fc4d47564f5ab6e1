// Store: the states of incremental pulls (store/pull_state.hpp). Saved and read back per
// connection and name, replaced in place, refused for another path under the same name,
// deleted with their connection, validated names, and the migration from schema version 2.
// Tampering with each column: test_store_integrity.cpp.
#include "store/detail/pull_state.hpp"
#include "store_test_support.hpp"

using namespace store_test;
namespace m = harvest_connect::model;
using hc::errc;
using hc::store::PullRecord;
using hc::store::PullState;

namespace {

class StorePullState : public StoreTest {
 protected:
  hc::store::Store populated() {
    auto s = open(key);
    s.create_oauth_client(client("app"));
    s.create_connection(connection("acme", "app", "123"));
    s.create_connection(connection("other", "app", "456"));
    return s;
  }
  static PullState state(std::string name, std::string path, std::int64_t mark, std::vector<PullRecord> recent = {}) {
    PullState p;
    p.name = std::move(name);
    p.path = std::move(path);
    p.mark = mark;
    p.recent = std::move(recent);
    return p;
  }
};

using StorePullStateBackends = OverBackends<StorePullState>;
INSTANTIATE_TEST_SUITE_P(Backends, StorePullStateBackends, both_backends, backend_name);

}  // namespace

TEST_P(StorePullStateBackends, AStateIsSavedPerConnectionAndReadBack) {
  {
    auto s = populated();
    EXPECT_FALSE(s.pull_state("acme", "daily").has_value());
    s.save_pull_state("acme",
                      state("daily", "/time_entries", 1'700'000'000, {{636700001, 1'700'000'000}, {7, 1'699'999'999}}));
    s.save_pull_state("other", state("daily", "/projects", 5));
  }
  auto s = open(key);  // from the file, not a cache
  auto a = s.pull_state("acme", "DAILY");  // names compare ignoring case
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->name, "daily");
  EXPECT_EQ(a->path, "/time_entries");
  EXPECT_EQ(a->mark, 1'700'000'000);
  EXPECT_EQ(a->recent, (std::vector<PullRecord>{{636700001, 1'700'000'000}, {7, 1'699'999'999}}));
  EXPECT_GT(a->created_at, 0);
  EXPECT_EQ(s.pull_state("other", "daily")->path, "/projects");
  EXPECT_EQ(s.pull_states("acme").size(), 1u);
  EXPECT_TRUE(s.verify().empty());
}

TEST_P(StorePullStateBackends, SavingAgainMovesTheMarkInPlace) {
  auto s = populated();
  s.save_pull_state("acme", state("daily", "/time_entries", 100, {{1, 100}}));
  s.save_pull_state("acme", state("daily", "/time_entries", 200, {}));
  auto a = s.pull_state("acme", "daily");
  EXPECT_EQ(a->mark, 200);
  EXPECT_TRUE(a->recent.empty());
  EXPECT_EQ(s.pull_states("acme").size(), 1u);
  EXPECT_TRUE(s.verify().empty());
}

TEST_P(StorePullStateBackends, AnotherPathUnderTheSameNameIsRefused) {
  auto s = populated();
  s.save_pull_state("acme", state("daily", "/time_entries", 100));
  auto e = expect_error(errc::validation_failed, [&] { s.save_pull_state("acme", state("daily", "/projects", 200)); });
  EXPECT_NE(std::string(e.what()).find("/time_entries"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("another state name"), std::string::npos) << e.what();
  EXPECT_EQ(s.pull_state("acme", "daily")->mark, 100);  // unchanged
}

TEST_P(StorePullStateBackends, DeletingAStateOrItsConnectionForgetsIt) {
  auto s = populated();
  s.save_pull_state("acme", state("daily", "/time_entries", 100));
  s.save_pull_state("acme", state("weekly", "/time_entries", 100));
  s.save_pull_state("other", state("daily", "/time_entries", 100));
  EXPECT_TRUE(s.delete_pull_state("acme", "weekly"));
  EXPECT_FALSE(s.delete_pull_state("acme", "weekly"));
  EXPECT_FALSE(s.pull_state("acme", "weekly").has_value());
  s.delete_connection("acme");
  store_sql("SELECT 1");  // the store is consistent for another reader
  s.create_connection(connection("acme", "app", "123"));
  EXPECT_FALSE(s.pull_state("acme", "daily").has_value());  // not inherited by a new connection of that name
  EXPECT_TRUE(s.pull_state("other", "daily").has_value());
  s.close();
  EXPECT_EQ(store_query_int("SELECT count(*) FROM pull_states"), 1);  // the deleted connection's row is gone
}

TEST_P(StorePullStateBackends, NamesAndPathsAreValidated) {
  auto s = populated();
  for (const std::string& bad :
       std::vector<std::string>{"", "has space", "tab\there", std::string(101, 'a'), "caf\xc3\xa9", "a'b"}) {
    SCOPED_TRACE(bad);
    auto e = expect_error(errc::validation_failed, [&] { s.save_pull_state("acme", state(bad, "/time_entries", 1)); });
    EXPECT_EQ(std::string(e.what()).rfind("state:", 0), 0u) << e.what();
  }
  EXPECT_EQ(hc::store::validate_pull_state_name("time_entries-daily.v2:x/y"), "time_entries-daily.v2:x/y");
  expect_error(errc::validation_failed, [&] { s.save_pull_state("acme", state("daily", "", 1)); });
  expect_error(errc::validation_failed, [&] { s.save_pull_state("acme", state("daily", "/time\nentries", 1)); });
  expect_error(errc::not_found, [&] { s.save_pull_state("nobody", state("daily", "/time_entries", 1)); });
  EXPECT_TRUE(s.pull_states("acme").empty());
}

TEST_F(StorePullState, RecentRecordsAreEncodedStrictly) {
  using hc::store::detail::decode_recent;
  using hc::store::detail::encode_recent;
  const std::vector<PullRecord> r{{1, 2}, {-3, 4}, {9'007'199'254'740'993, 1'700'000'000}};
  EXPECT_EQ(decode_recent(encode_recent(r)), r);
  EXPECT_TRUE(decode_recent("").empty());
  for (const char* bad : {"1", "1:", ":2", "1:2,", "1:2,,3:4", "a:2", "1:2x", " 1:2"}) {
    SCOPED_TRACE(bad);
    expect_error(errc::store_error, [&] { (void)decode_recent(bad); });
  }
}

TEST_F(StorePullState, AVersion2StoreMigratesAndKeepsItsRows) {
  populated().save_pull_state("acme", state("daily", "/time_entries", 1));
  // A version 2 store is this schema without pull_states (v3) and the rate budget (v4).
  sql(path, "DROP TABLE pull_states; DROP TABLE rate_leases; DROP TABLE rate_budgets; PRAGMA user_version = 2;");
  auto s = open(key);
  EXPECT_EQ(s.schema_version(), 4);
  EXPECT_TRUE(s.verify().empty());
  EXPECT_FALSE(s.pull_state("acme", "daily").has_value());
  s.save_pull_state("acme", state("daily", "/time_entries", 2));
  EXPECT_EQ(s.pull_state("acme", "daily")->mark, 2);
  EXPECT_EQ(s.connections().size(), 2u);
}
