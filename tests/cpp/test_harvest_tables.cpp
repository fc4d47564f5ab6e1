// TableBuilder and the Arrow C Data export: columns built from list pages' JSON.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <set>
#include <stdexcept>
#include <string>

#include "harvest_connect/error.hpp"
#include "harvest_connect/harvest/arrow_stream.hpp"
#include "harvest_connect/harvest/table_builder.hpp"
#include "harvest_connect/harvest/table_schema.hpp"

namespace hc = harvest_connect;
using hc::harvest::ColumnData;
using hc::harvest::ColumnType;
using hc::harvest::RecordBatch;
using hc::harvest::TableBuilder;

namespace {

std::string page(std::string_view resource, std::string_view records) {
  return "{\"" + std::string(resource) + "\":[" + std::string(records) +
         "],\"per_page\":2000,\"page\":1,\"links\":{\"next\":null}}";
}

const ColumnData& column(const RecordBatch& b, std::string_view name) {
  for (std::size_t i = 0; i < b.schema.size(); ++i) {
    if (b.schema[i].name == name) return b.columns[i];
  }
  throw std::runtime_error("no column " + std::string(name));
}

ColumnType type_of(const RecordBatch& b, std::string_view name) {
  for (const auto& c : b.schema) {
    if (c.name == name) return c.type;
  }
  throw std::runtime_error("no column " + std::string(name));
}

bool valid(const ColumnData& c, std::int64_t row) { return (c.validity[static_cast<std::size_t>(row / 8)] >> (row % 8)) & 1; }

std::string text(const ColumnData& c, std::int64_t row) {
  const auto r = static_cast<std::size_t>(row);
  return c.chars.substr(static_cast<std::size_t>(c.offsets[r]), static_cast<std::size_t>(c.offsets[r + 1] - c.offsets[r]));
}

std::string api_error_text(const std::function<void()>& f) {
  try {
    f();
  } catch (const hc::error& e) {
    EXPECT_EQ(e.code(), hc::make_error_code(hc::errc::api_error)) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return {};
}

}  // namespace

TEST(HarvestTables, DeclaredTimeEntriesTypesAndFlattening) {
  TableBuilder b("/time_entries");
  ASSERT_TRUE(b.declared());
  const auto body = page("time_entries", R"({"id":9007199254740993,"spent_date":"2024-02-29","hours":2,
      "billable_rate":100.5,"project":{"id":14307900,"name":"Caf\u00e9 \ud83d\ude00","code":null},
      "billable":true,"is_locked":false,"created_at":"2017-06-27T15:50:15Z","notes":null},
      {"id":2,"spent_date":"1970-01-01","hours":1.25,"billable_rate":200,"project":null,"billable":null,
       "created_at":"2017-06-27T15:50:15.123456+02:00","notes":"x"})");
  const RecordBatch batch = b.build(body, "time_entries", 1);
  ASSERT_EQ(batch.rows, 2);
  EXPECT_EQ(type_of(batch, "id"), ColumnType::int64);
  const auto& id = column(batch, "id");
  EXPECT_EQ(id.i64[0], 9007199254740993LL);  // above 2^53, exact
  EXPECT_EQ(id.null_count, 0);
  const auto& hours = column(batch, "hours");
  EXPECT_EQ(hours.type, ColumnType::float64);
  EXPECT_EQ(hours.f64[0], 2.0);  // an integer in a money/hours column
  EXPECT_EQ(hours.f64[1], 1.25);
  EXPECT_EQ(column(batch, "billable_rate").f64[1], 200.0);
  const auto& day = column(batch, "spent_date");
  EXPECT_EQ(day.i32[0], 19782);  // 2024-02-29
  EXPECT_EQ(day.i32[1], 0);
  const auto& name = column(batch, "project.name");
  EXPECT_EQ(text(name, 0), "Caf\xc3\xa9 \xf0\x9f\x98\x80");  // non-BMP from a surrogate pair
  EXPECT_FALSE(valid(name, 1));                           // project: null → its columns null
  EXPECT_EQ(name.offsets.size(), 3u);
  EXPECT_EQ(name.offsets[1], name.offsets[2]);
  EXPECT_EQ(column(batch, "project.code").null_count, 2);
  const auto& billable = column(batch, "billable");
  EXPECT_EQ(billable.bits[0] & 1, 1);
  EXPECT_FALSE(valid(billable, 1));
  EXPECT_EQ(billable.null_count, 1);
  const auto& created = column(batch, "created_at");
  EXPECT_EQ(created.i64[0], 1498578615LL * 1000000);
  EXPECT_EQ(created.i64[1], (1498578615LL - 7200) * 1000000 + 123456);
  // Fields missing from a record are null; the notes column has its validity bitmap.
  const auto& notes = column(batch, "notes");
  EXPECT_FALSE(valid(notes, 0));
  EXPECT_TRUE(valid(notes, 1));
  EXPECT_EQ(column(batch, "task.id").null_count, 2);
  EXPECT_EQ(column(batch, "_extra").null_count, 2);
}

TEST(HarvestTables, EmptyPageHasTheFullSchema) {
  TableBuilder b("/v2/projects");  // api_relative_path gives "/projects"; a resource name is enough
  const RecordBatch batch = b.build(page("projects", ""), "projects", 1);
  EXPECT_EQ(batch.rows, 0);
  EXPECT_GT(batch.schema.size(), 20u);
  EXPECT_EQ(type_of(batch, "client.id"), ColumnType::int64);
  EXPECT_EQ(type_of(batch, "starts_on"), ColumnType::date32);
  for (const auto& c : batch.columns) EXPECT_EQ(c.length, 0);
}

TEST(HarvestTables, EveryDeclaredSchemaIsWellFormed) {
  for (const char* path : {"/time_entries", "/projects", "/clients", "/users", "/tasks", "/task_assignments",
                           "/projects/1/user_assignments", "/invoices", "/expenses", "/estimates",
                           "/reports/time/projects", "/reports/time/clients", "/reports/time/tasks",
                           "/reports/time/team", "/reports/expenses/clients", "/reports/expenses/projects",
                           "/reports/expenses/categories", "/reports/expenses/team", "/reports/uninvoiced",
                           "/reports/project_budget"}) {
    const auto schema = hc::harvest::declared_schema(path);
    ASSERT_TRUE(schema) << path;
    std::set<std::string> names;
    for (const auto& c : *schema) {
      EXPECT_TRUE(names.insert(c.name).second) << path << ": " << c.name << " twice";
      EXPECT_NE(c.type, ColumnType::null) << path;
    }
  }
  EXPECT_FALSE(hc::harvest::declared_schema("/users/me/project_assignments"));
  EXPECT_FALSE(hc::harvest::declared_schema("/reports/unknown"));
}

TEST(HarvestTables, UnknownFieldsOfADeclaredEndpointGoToExtra) {
  TableBuilder b("/clients");
  const RecordBatch batch = b.build(
      page("clients", R"({"id":1,"name":"A","brand_new":{"x":1},"statement_key":"k"},{"id":2}, {"id":3,"name":null})"),
      "clients", 1);
  const auto& extra = column(batch, "_extra");
  EXPECT_EQ(text(extra, 0), R"({"brand_new":{"x":1}})");
  EXPECT_FALSE(valid(extra, 1));
  EXPECT_EQ(column(batch, "name").null_count, 2);  // missing in record 2, null in record 3
}

TEST(HarvestTables, ColumnsSelectionBuildsOnlyThoseInTheirOrder) {
  TableBuilder b("/time_entries", {{"hours", "project"}});
  const RecordBatch batch =
      b.build(page("time_entries", R"({"id":1,"hours":1,"project":{"id":5,"name":"P","code":"c"}})"), "time_entries", 1);
  ASSERT_EQ(batch.schema.size(), 4u);
  EXPECT_EQ(batch.schema[0].name, "hours");
  EXPECT_EQ(batch.schema[1].name, "project.id");
  EXPECT_EQ(batch.schema[3].name, "project.code");
  EXPECT_THROW(TableBuilder("/time_entries", {{"nope"}}), hc::error);
}

TEST(HarvestTables, DeclaredTypeMismatchNamesPageRecordAndField) {
  TableBuilder b("/time_entries");
  auto msg = api_error_text([&] { (void)b.build(page("time_entries", R"({"id":1},{"id":"2"})"), "time_entries", 3); });
  EXPECT_NE(msg.find("page 3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("record 2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"id\""), std::string::npos) << msg;
  msg = api_error_text([&] { (void)b.build(page("time_entries", R"({"id":1.5})"), "time_entries", 1); });
  EXPECT_NE(msg.find("expected an integer"), std::string::npos) << msg;
  msg = api_error_text([&] { (void)b.build(page("time_entries", R"({"spent_date":"2023-02-29"})"), "time_entries", 1); });
  EXPECT_NE(msg.find("spent_date"), std::string::npos) << msg;
  msg = api_error_text([&] { (void)b.build(page("time_entries", R"({"project":5})"), "time_entries", 1); });
  EXPECT_NE(msg.find("expected an object"), std::string::npos) << msg;
  msg = api_error_text([&] { (void)b.build(page("time_entries", R"({"id":18446744073709551615})"), "time_entries", 1); });
  EXPECT_NE(msg.find("does not fit int64"), std::string::npos) << msg;
  msg = api_error_text([&] { (void)b.build(page("time_entries", R"({"created_at":"2017-06-27 15:50"})"), "time_entries", 1); });
  EXPECT_NE(msg.find("created_at"), std::string::npos) << msg;
}

TEST(HarvestTables, MalformedAndTruncatedPagesAreErrors) {
  TableBuilder b("/time_entries");
  const std::string body = page("time_entries", R"({"id":1},{"id":2})");
  auto msg = api_error_text([&] { (void)b.build(body.substr(0, body.size() - 20), "time_entries", 2); });
  EXPECT_NE(msg.find("page 2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("not valid JSON"), std::string::npos) << msg;
  msg = api_error_text([&] { (void)b.build(page("time_entries", "1,2"), "time_entries", 1); });
  EXPECT_NE(msg.find("not an object"), std::string::npos) << msg;
  msg = api_error_text([&] { (void)b.build(R"({"projects":[]})", "time_entries", 1); });
  EXPECT_NE(msg.find("no \"time_entries\" array"), std::string::npos) << msg;
  // Invalid UTF-8 and a lone surrogate are not JSON text.
  (void)api_error_text([&] { (void)b.build(page("time_entries", "{\"notes\":\"\xff\"}"), "time_entries", 1); });
  (void)api_error_text([&] { (void)b.build(page("time_entries", R"({"notes":"\ud83d"})"), "time_entries", 1); });
}

TEST(HarvestTables, InferredSchemaWidensAcrossPages) {
  TableBuilder b("/users/me/project_assignments");
  ASSERT_FALSE(b.declared());
  RecordBatch p1 = b.build(page("project_assignments", R"({"id":1,"rate":5,"gone":null},{"id":2,"rate":7})"),
                           "project_assignments", 1);
  RecordBatch p2 = b.build(page("project_assignments", R"({"id":3,"rate":2.5,"late":"x","tags":[1,"a"],
                                                           "project":{"id":9}})"),
                           "project_assignments", 2);
  const auto schema = b.schema();
  b.conform(p1);
  b.conform(p2);
  for (const RecordBatch* batch : {&p1, &p2}) {
    ASSERT_EQ(batch->schema.size(), schema.size());
    EXPECT_EQ(type_of(*batch, "rate"), ColumnType::float64);
    EXPECT_EQ(column(*batch, "rate").type, ColumnType::float64);
    EXPECT_EQ(type_of(*batch, "late"), ColumnType::utf8);
    EXPECT_EQ(type_of(*batch, "tags"), ColumnType::json);
    EXPECT_EQ(type_of(*batch, "project.id"), ColumnType::int64);
    EXPECT_EQ(type_of(*batch, "gone"), ColumnType::null);  // only ever null: an all-null column
  }
  EXPECT_EQ(column(p1, "rate").f64[1], 7.0);
  EXPECT_EQ(column(p2, "rate").f64[0], 2.5);
  EXPECT_EQ(column(p1, "late").null_count, 2);
  EXPECT_EQ(text(column(p2, "tags"), 0), R"([1,"a"])");
  EXPECT_EQ(column(p1, "gone").null_count, 2);
  // A late field within one page: earlier rows null.
  TableBuilder c("/things");
  const RecordBatch one = c.build(page("things", R"({"a":1},{"a":2,"b":true})"), "things", 1);
  EXPECT_EQ(column(one, "b").null_count, 1);
  EXPECT_EQ(column(one, "b").bits[0] >> 1 & 1, 1);
}

TEST(HarvestTables, InferredTypesThatCannotWidenAreErrors) {
  TableBuilder b("/things");
  (void)b.build(page("things", R"({"a":1,"o":{"x":1}})"), "things", 1);
  auto msg = api_error_text([&] { (void)b.build(page("things", R"({"a":"text"})"), "things", 2); });
  EXPECT_NE(msg.find("page 2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"a\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("cannot widen"), std::string::npos) << msg;
  msg = api_error_text([&] { (void)b.build(page("things", R"({"o":3})"), "things", 4); });
  EXPECT_NE(msg.find("\"o\""), std::string::npos) << msg;
  msg = api_error_text([&] { (void)b.build(page("things", R"({"a":{"y":1}})"), "things", 5); });
  EXPECT_NE(msg.find("got an object"), std::string::npos) << msg;
}

TEST(HarvestTables, DatesAndTimestamps) {
  std::int32_t d = 0;
  EXPECT_TRUE(hc::harvest::parse_date32("2000-02-29", d));
  EXPECT_EQ(d, 11016);
  EXPECT_TRUE(hc::harvest::parse_date32("1969-12-31", d));
  EXPECT_EQ(d, -1);
  EXPECT_FALSE(hc::harvest::parse_date32("1900-02-29", d));
  EXPECT_FALSE(hc::harvest::parse_date32("2024-13-01", d));
  EXPECT_FALSE(hc::harvest::parse_date32("2024-1-01", d));
  std::int64_t t = 0;
  EXPECT_TRUE(hc::harvest::parse_timestamp_us("1970-01-01T00:00:01Z", t));
  EXPECT_EQ(t, 1000000);
  EXPECT_TRUE(hc::harvest::parse_timestamp_us("1970-01-01T00:00:00.5-01:00", t));
  EXPECT_EQ(t, 3600LL * 1000000 + 500000);
  EXPECT_FALSE(hc::harvest::parse_timestamp_us("1970-01-01T00:00:00", t));  // no zone
  EXPECT_FALSE(hc::harvest::parse_timestamp_us("1970-01-01T24:00:00Z", t));
}

TEST(HarvestTables, ExportedArraysFollowTheCDataInterface) {
  TableBuilder b("/tasks", {{"id", "name", "is_active"}});
  RecordBatch batch = b.build(page("tasks", R"({"id":1,"name":"a","is_active":true},{"id":2,"name":null,"is_active":false},
                                              {"id":3,"name":"ccc"})"),
                              "tasks", 1);
  ArrowSchema schema{};
  hc::harvest::export_schema(batch.schema, &schema);
  EXPECT_STREQ(schema.format, "+s");
  ASSERT_EQ(schema.n_children, 3);
  EXPECT_STREQ(schema.children[0]->format, "l");
  EXPECT_STREQ(schema.children[1]->format, "u");
  EXPECT_STREQ(schema.children[1]->name, "name");
  EXPECT_STREQ(schema.children[2]->format, "b");
  EXPECT_EQ(schema.children[2]->flags, ARROW_FLAG_NULLABLE);
  // A consumer may move a child out: the parent's release leaves it alone.
  ArrowSchema moved = *schema.children[0];
  schema.children[0]->release = nullptr;
  schema.release(&schema);
  EXPECT_EQ(schema.release, nullptr);
  EXPECT_STREQ(moved.format, "l");
  moved.release(&moved);

  ArrowArray array{};
  hc::harvest::export_batch(std::move(batch), &array);
  EXPECT_EQ(array.length, 3);
  ASSERT_EQ(array.n_children, 3);
  EXPECT_EQ(array.n_buffers, 1);
  const ArrowArray& ids = *array.children[0];
  EXPECT_EQ(ids.null_count, 0);
  EXPECT_EQ(ids.buffers[0], nullptr);  // no nulls: no bitmap
  EXPECT_EQ(static_cast<const std::int64_t*>(ids.buffers[1])[2], 3);
  const ArrowArray& names = *array.children[1];
  EXPECT_EQ(names.n_buffers, 3);
  EXPECT_EQ(names.null_count, 1);
  EXPECT_EQ(static_cast<const std::uint8_t*>(names.buffers[0])[0], 0b101);
  const auto* offsets = static_cast<const std::int32_t*>(names.buffers[1]);
  EXPECT_EQ(offsets[0], 0);
  EXPECT_EQ(offsets[1], 1);
  EXPECT_EQ(offsets[2], 1);
  EXPECT_EQ(offsets[3], 4);
  EXPECT_EQ(std::memcmp(names.buffers[2], "accc", 4), 0);
  const ArrowArray& active = *array.children[2];
  EXPECT_EQ(static_cast<const std::uint8_t*>(active.buffers[1])[0] & 0b11, 0b01);
  EXPECT_EQ(active.null_count, 1);
  array.release(&array);
  EXPECT_EQ(array.release, nullptr);
}

TEST(HarvestTables, StreamingParserEdgeCases) {
  // Page fields before and after the records (ignored, nested arrays included), a long
  // string with escapes (delivered in parts), JSON-text columns with nested values, numbers
  // in a string column keeping their text, unknown nested values into _extra.
  std::string long_notes;
  std::string expected_notes;
  for (int i = 0; i < 3000; ++i) {
    long_notes += "ab\\n\\u00e9\\ud83d\\ude00";
    expected_notes += "ab\n\xc3\xa9\xf0\x9f\x98\x80";
  }
  const std::string body = R"({"links":{"next":null,"deep":[[1,{"a":[]}]]},"users":[{"id":1,"roles":["a",["b",{"c":null}]],)"
                           R"("notes_unknown":{"x":[1,2.5e3,"\"q\""]},"first_name":")" +
                           long_notes + R"(","telephone":12345678901234567890,"email":1.5e3},{"id":2,"roles":[]}],"per_page":2})";
  TableBuilder b("/users");
  const RecordBatch batch = b.build(body, "users", 1);
  // A long key with escapes (delivered in parts) after a short one: an unknown field.
  std::string long_key;
  for (int i = 0; i < 3000; ++i) long_key += "k\u00e9";
  TableBuilder k("/users");
  const RecordBatch keyed = k.build(R"({"users":[{"id":1,")" + long_key + R"(":1,"email":"e"}]})", "users", 1);
  EXPECT_EQ(text(column(keyed, "email"), 0), "e");
  EXPECT_EQ(text(column(keyed, "_extra"), 0).size(), std::string("{\"\":1}").size() + 3000 * 3);
  ASSERT_EQ(batch.rows, 2);
  EXPECT_EQ(text(column(batch, "roles"), 0), R"(["a",["b",{"c":null}]])");
  EXPECT_EQ(text(column(batch, "roles"), 1), "[]");
  EXPECT_EQ(text(column(batch, "first_name"), 0), expected_notes);
  EXPECT_EQ(text(column(batch, "telephone"), 0), "12345678901234567890");
  EXPECT_EQ(text(column(batch, "email"), 0), "1.5e3");
  EXPECT_EQ(text(column(batch, "_extra"), 0), R"({"notes_unknown":{"x":[1,2.5E3,"\"q\""]}})");
  EXPECT_FALSE(valid(column(batch, "_extra"), 1));
  EXPECT_EQ(column(batch, "id").i64[1], 2);
  // Trailing bytes after the page, or two records arrays, are not a page.
  (void)api_error_text([&] { (void)b.build(body + "x", "users", 1); });
  (void)api_error_text([&] { (void)b.build(R"({"users":[],"users":[]})", "users", 1); });
  (void)api_error_text([&] { (void)b.build(R"({"users":{}})", "users", 1); });
  (void)api_error_text([&] { (void)b.build(R"({"users":null})", "users", 1); });
  (void)api_error_text([&] { (void)b.build(R"([])", "users", 1); });
}
