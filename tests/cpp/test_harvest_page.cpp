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

// Without the whole-body validation (the Python layer validates with json.loads), a valid
// page reads exactly as with it, and both match a Boost.JSON document of the page; a malformed
// one is still refused or, where only a record is malformed, cut out without reading outside
// the body.
TEST(HarvestPage, StructureOnlyReadsValidPagesAsTheirDocument) {
  std::string deep = "[1]";
  for (int i = 0; i < 100; ++i) deep = "[" + deep + "]";  // deeper than Boost.JSON's default 32
  const std::string pages[] = {
      R"({"time_entries":[{"id":1,"notes":"a \"quoted\" ] } text \\","hours":1.5}, {"id":2,"n":[1,{"b":null}]}],
         "per_page":2,"total_pages":3,"total_entries":5,"page":1,
         "links":{"next":"https://api.harvestapp.com/v2/time_entries?page=2&per_page=2"}})",
      " { \"results\" : [ {\"a\":1} , {\"a\":2} ] , \"links\" : {\"next\":null} } ",
      R"({"ids":[1, "two", null, [3], -2.5e3, true, "\u00e9\ud83d\ude00"],"links":{"next":null}})",
      R"({"links":{"next":null},"page":null,"clients":[]})",
      R"({"\u0074ime_entries":[{"id":9}],"links":{"next":"x"}})",
      R"({"time_entries":[)" + deep + R"(],"links":{"next":null}})",
  };
  boost::json::parse_options deep_enough;
  deep_enough.max_depth = 1000;
  for (const std::string& body : pages) {
    const Page checked = parse_page(body, "time_entries");
    const Page outlined = parse_page(body, "time_entries", PageValidation::left_to_caller);
    const boost::json::object document = boost::json::parse(body, {}, deep_enough).as_object();
    const boost::json::array& records = document.at(checked.resource).as_array();
    for (const Page* page : {&checked, &outlined}) {
      EXPECT_EQ(page->resource, checked.resource) << body;
      ASSERT_EQ(page->records.size(), records.size()) << body;
      for (std::size_t i = 0; i < records.size(); ++i) {
        EXPECT_EQ(boost::json::parse(page->records[i], {}, deep_enough), records[i]) << body;
      }
      const auto* links = document.if_contains("links");
      const auto* next = links ? links->as_object().if_contains("next") : nullptr;
      EXPECT_EQ(page->next.has_value(), next != nullptr && next->is_string() && !next->as_string().empty()) << body;
      if (page->next) EXPECT_EQ(*page->next, next->as_string()) << body;
      EXPECT_EQ(page->total_pages, checked.total_pages) << body;
      EXPECT_EQ(page->page, checked.page) << body;
    }
    EXPECT_EQ(outlined.total_entries, checked.total_entries) << body;
    EXPECT_EQ(outlined.per_page, checked.per_page) << body;
  }
  EXPECT_EQ(parse_page(pages[0], "time_entries").total_pages, 3);
  EXPECT_EQ(parse_page(pages[0], "time_entries", PageValidation::left_to_caller).total_entries, 5);
}

TEST(HarvestPage, StructureOnlyRefusesMalformedOutlines) {
  for (const char* body :
       {"", "   ", "[1,2]", "{", "{\"a\":[1]", "{\"a\":[1,}", "{\"a\":[1]} x", "{\"a\":[1}", "{\"a\":[1,2", "{\"a\":[}",
        "{\"a\":[,]}", "{\"a\" [1]}", "{\"a\":[1]\"b\":2}", "{a:[1]}", "{\"a\":[\"open]}", "{\"a\":[1],}",
        "{\"a\":[{]}", "{\"a\":[1],\"links\":{\"next\":}}", "{\"a\\q\":[1]}",
        "<html>Bad gateway</html>"}) {
    try {
      (void)parse_page(body, "", PageValidation::left_to_caller);
      ADD_FAILURE() << "accepted " << body;
    } catch (const harvest_connect::error& e) {
      EXPECT_EQ(e.kind(), harvest_connect::errc::api_error) << body;
    }
  }
  // Valid JSON but not a list page: two arrays and no hint to choose between them.
  EXPECT_THROW((void)parse_page("{\"a\":[1],\"b\":[2]}", "", PageValidation::left_to_caller), harvest_connect::error);
  // A malformed record inside a sound outline is the caller's to refuse (json.loads does).
  const std::string body = R"({"a":[{"x":tru}, 1.2.3, {"b":1]],"links":{"next":null}})";
  const Page page = parse_page(body, "a", PageValidation::left_to_caller);
  ASSERT_EQ(page.records.size(), 3u);
  EXPECT_EQ(page.records[1], "1.2.3");
  EXPECT_EQ(page.records[2], R"({"b":1])");
  EXPECT_THROW((void)parse_page(body, "a"), harvest_connect::error);
}
