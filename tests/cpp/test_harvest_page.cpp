// Page parsing: the records array, links.next in page and cursor style, exact record bytes.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "harvest_connect/error.hpp"
#include "harvest_connect/harvest/page.hpp"

using namespace harvest_connect::harvest;

TEST(HarvestPage, PageStyle) {
  const std::string body = R"({"time_entries":[{"id":1,"notes":"a \"quoted\" ] } text","hours":1.5},
    {"id":2,"nested":{"a":[1,2,{"b":null}]},"hours":2.0E0}],
    "per_page":2,"total_pages":3,"total_entries":5,"next_page":2,"previous_page":null,"page":1,
    "links":{"first":"https://api.harvestapp.com/v2/time_entries?page=1&per_page=2",
             "next":"https://api.harvestapp.com/v2/time_entries?page=2&per_page=2","previous":null,
             "last":"https://api.harvestapp.com/v2/time_entries?page=3&per_page=2"}})";
  const Page page = parse_page(body, "time_entries");
  EXPECT_EQ(page.resource, "time_entries");
  ASSERT_EQ(page.records.size(), 2u);
  EXPECT_EQ(page.records[0], R"({"id":1,"notes":"a \"quoted\" ] } text","hours":1.5})");
  EXPECT_EQ(page.records[1], R"({"id":2,"nested":{"a":[1,2,{"b":null}]},"hours":2.0E0})");
  EXPECT_EQ(page.next, "https://api.harvestapp.com/v2/time_entries?page=2&per_page=2");
  EXPECT_EQ(page.page, 1);
  EXPECT_EQ(page.total_pages, 3);
  EXPECT_EQ(page.total_entries, 5);
  EXPECT_EQ(page.per_page, 2);
  for (auto r : page.records) EXPECT_NO_THROW((void)boost::json::parse(r));
}

TEST(HarvestPage, CursorStyleAndLastPage) {
  const std::string cursor = R"({"time_entries":[{"id":3}],"per_page":2000,"total_pages":null,"total_entries":null,
    "next_page":null,"previous_page":null,"page":null,
    "links":{"first":null,"next":"https://api.harvestapp.com/v2/time_entries?cursor=eyJpZCI6M30&per_page=2000","previous":null,"last":null}})";
  Page page = parse_page(cursor, "time_entries");
  EXPECT_EQ(page.next, "https://api.harvestapp.com/v2/time_entries?cursor=eyJpZCI6M30&per_page=2000");
  EXPECT_FALSE(page.page.has_value());
  const std::string last = R"({"clients":[],"page":1,"links":{"next":null}})";
  page = parse_page(last, "clients");
  EXPECT_TRUE(page.records.empty());
  EXPECT_FALSE(page.next.has_value());
}

TEST(HarvestPage, FindsTheArrayWithoutAHint) {
  const std::string body = " { \"results\" : [ {\"a\":1} , {\"a\":2} ] , \"links\" : {\"next\":null} } ";
  const Page page = parse_page(body, "projects");  // hint absent from the page: the only array
  EXPECT_EQ(page.resource, "results");
  ASSERT_EQ(page.records.size(), 2u);
  EXPECT_EQ(page.records[1], R"({"a":2})");
}

TEST(HarvestPage, ScalarsAndStringsAsRecords) {
  const Page page = parse_page(R"({"ids":[1, "two", null, [3]],"links":{"next":null}})");
  ASSERT_EQ(page.records.size(), 4u);
  EXPECT_EQ(page.records[1], "\"two\"");
  EXPECT_EQ(page.records[3], "[3]");
}

TEST(HarvestPage, RefusesWhatIsNotAListPage) {
  for (const char* body : {"", "[1,2]", "{\"id\":1}", "{\"a\":[1],\"b\":[2]}", "{\"a\":[1,}", "{\"a\":[1]} x",
                           "<html>Bad gateway</html>"}) {
    try {
      (void)parse_page(body);
      ADD_FAILURE() << "accepted " << body;
    } catch (const harvest_connect::error& e) {
      EXPECT_EQ(e.kind(), harvest_connect::errc::api_error) << body;
    }
  }
}
