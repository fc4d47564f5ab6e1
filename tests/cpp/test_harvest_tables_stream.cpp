// TableStream and the ArrowArrayStream export against the emulator over HTTPS: one batch per
// page, the end of the stream, and a failing page that fails every later read.
#include <cerrno>
#include <string>

#include "harvest_connect/harvest/arrow_stream.hpp"
#include "emulator_connection_test.hpp"

using namespace store_test;
namespace harvest = harvest_connect::harvest;
namespace testing_ns = harvest_connect::testing;

namespace {

class HarvestTableStream : public EmulatorConnectionTest {
 protected:
  void SetUp() override {
    EmulatorConnectionTest::SetUp();
    connect.client.retry.deadline = std::chrono::milliseconds(1500);  // a failing page gives up soon
  }
};

}  // namespace

TEST_F(HarvestTableStream, OneBatchPerPageThenTheEnd) {
  auto api = harvest::open_client(db, "pat", connect);
  auto table = std::make_unique<harvest::TableStream>(api, "/time_entries", harvest::QueryParams{{"per_page", "100"}});
  ASSERT_TRUE(table->declared());
  const std::size_t columns = table->schema().size();
  ArrowArrayStream stream{};
  int blocking_calls = 0;
  harvest::StreamHooks hooks;
  hooks.run_blocking = [&](const std::function<void()>& work) {
    ++blocking_calls;
    work();
  };
  harvest::export_stream(std::move(table), &stream, hooks);
  ArrowSchema schema{};
  ASSERT_EQ(stream.get_schema(&stream, &schema), 0);
  EXPECT_STREQ(schema.format, "+s");
  EXPECT_EQ(static_cast<std::size_t>(schema.n_children), columns);
  EXPECT_STREQ(schema.children[columns - 1]->name, "_extra");
  schema.release(&schema);
  std::int64_t rows = 0;
  int batches = 0;
  for (;;) {
    ArrowArray array{};
    ASSERT_EQ(stream.get_next(&stream, &array), 0) << stream.get_last_error(&stream);
    if (array.release == nullptr) break;
    EXPECT_EQ(static_cast<std::size_t>(array.n_children), columns);
    rows += array.length;
    ++batches;
    array.release(&array);
  }
  EXPECT_EQ(rows, 777);
  EXPECT_EQ(batches, 8);
  EXPECT_EQ(blocking_calls, 9);
  stream.release(&stream);
  EXPECT_EQ(stream.release, nullptr);
}

TEST_F(HarvestTableStream, AFailedPageFailsEveryLaterRead) {
  auto api = harvest::open_client(db, "pat", connect);
  auto table = std::make_unique<harvest::TableStream>(api, "/time_entries", harvest::QueryParams{{"per_page", "100"}});
  testing_ns::Faults faults;
  faults.path_prefix = "/v2/time_entries";
  faults.error_next = 1000;
  emu->service().set_faults(faults);
  ArrowArrayStream stream{};
  int errors = 0;
  harvest::StreamHooks hooks;
  hooks.on_error = [&](std::exception_ptr) { ++errors; };
  harvest::export_stream(std::move(table), &stream, hooks);
  ArrowArray array{};
  ASSERT_EQ(stream.get_next(&stream, &array), 0);  // the first page came before the faults
  ASSERT_NE(array.release, nullptr);
  array.release(&array);
  // The second page may be prefetched already; a later one fails.
  int status = 0;
  for (int i = 0; i < 8 && status == 0; ++i) {
    ArrowArray next{};
    status = stream.get_next(&stream, &next);
    if (status == 0) {
      ASSERT_NE(next.release, nullptr) << "the stream ended as if complete";
      next.release(&next);
    }
  }
  ASSERT_EQ(status, EIO);
  const std::string message = stream.get_last_error(&stream);
  EXPECT_NE(message.find("the table of /time_entries: page "), std::string::npos) << message;
  EXPECT_NE(message.find("500"), std::string::npos) << message;
  ArrowArray again{};
  EXPECT_EQ(stream.get_next(&stream, &again), EIO);
  EXPECT_EQ(errors, 2);
  emu->service().clear_faults();
  stream.release(&stream);
}
