#pragma once
// The emulator's seeded records, kept compact (a time entry is ~48 bytes) and written to
// JSON by hand from pre-escaped fragments: paging 200,000 entries must not be the bottleneck
// of a client benchmark. Names and notes are escaped once, with Boost.JSON, when generated.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "harvest_connect/testing/emulator_options.hpp"

namespace harvest_connect::testing::detail {

struct UserRecord {
  std::uint64_t id = 0;
  std::string first_name, last_name, email, password, role;
  std::vector<std::uint64_t> account_ids;
  std::int64_t created = 0, updated = 0;  // unix seconds
  std::string ref_json;                   // {"id":…,"name":"…"}
};

struct ClientRecord {
  std::uint64_t id = 0;
  std::string name, currency;
  std::int64_t created = 0, updated = 0;
  std::string ref_json;
};

struct ProjectRecord {
  std::uint64_t id = 0;
  std::uint32_t client = 0;  // index into clients
  std::string name, code;
  double hourly_rate = 0;
  bool billable = true;
  std::int64_t created = 0, updated = 0;
  std::string ref_json;
};

struct TaskRecord {
  std::uint64_t id = 0;
  std::string name;
  bool billable_by_default = true;
  double default_hourly_rate = 0;
  std::int64_t created = 0, updated = 0;
  std::string ref_json;
};

struct EntryRecord {
  std::int64_t created = 0, updated = 0;
  std::int32_t day = 0;  // days since 1970-01-01
  std::uint32_t user = 0, project = 0, task = 0, notes = 0;
  std::uint32_t centi_hours = 0;
  bool billable = true, locked = false;
};

class Dataset {
 public:
  static constexpr std::uint64_t first_entry_id = 636'700'000;

  explicit Dataset(const DataOptions& options);

  std::vector<UserRecord> users;
  std::vector<ClientRecord> clients;
  std::vector<ProjectRecord> projects;
  std::vector<TaskRecord> tasks;
  std::vector<EntryRecord> entries;  // entry id = first_entry_id + index
  // Entry indices in Harvest's list order: spent_date newest first, then id newest first.
  std::vector<std::uint32_t> order;
  std::vector<std::string> notes_json;  // escaped JSON strings, quotes included

  [[nodiscard]] static std::uint64_t entry_id(std::uint32_t index) { return first_entry_id + index; }
  // Index of an entry id, or -1.
  [[nodiscard]] std::int64_t entry_index(std::uint64_t id) const;
  // Appends a new entry (keeping `order`), returns its index.
  std::uint32_t add_entry(EntryRecord record);
  std::uint32_t add_note(std::string_view text);
  UserRecord& add_user(UserRecord user);

  void append_entry_json(std::string& out, std::uint32_t index) const;
  void append_user_json(std::string& out, const UserRecord& user) const;
  void append_client_json(std::string& out, const ClientRecord& client) const;
  void append_project_json(std::string& out, const ProjectRecord& project) const;
  void append_task_json(std::string& out, const TaskRecord& task) const;

  // True when entry a comes before entry b in list order.
  [[nodiscard]] bool before(std::uint32_t a, std::uint32_t b) const {
    const auto& x = entries[a];
    const auto& y = entries[b];
    return x.day != y.day ? x.day > y.day : a > b;
  }
};

// Formatting and parsing helpers (UTC).
void append_date(std::string& out, std::int32_t day);                // 2017-12-31
void append_datetime(std::string& out, std::int64_t unix_seconds);  // 2017-12-31T14:59:22Z
// "2017-12-31" or "20171231" → day number; false when malformed.
bool parse_date(std::string_view text, std::int32_t& day);
// ISO 8601: a date, or a date-time with Z / ±hh:mm / no zone (UTC); false when malformed.
bool parse_datetime(std::string_view text, std::int64_t& unix_seconds);
std::string json_quote(std::string_view text);

}  // namespace harvest_connect::testing::detail
