#include "store/detail/pull_state.hpp"

#include <algorithm>
#include <charconv>

#include "harvest_connect/crypto/encoding.hpp"
#include "harvest_connect/crypto/random.hpp"
#include "harvest_connect/error.hpp"
#include "store/detail/row_mac.hpp"

namespace harvest_connect::store {
namespace {

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-' || c == ':' || c == '/';
}

void validate_path(std::string_view path) {
  if (path.empty() || path.size() > max_pull_path_length)
    throw error(errc::validation_failed, "path: must be 1 to " + std::to_string(max_pull_path_length) +
                                             " characters (the list endpoint, e.g. /time_entries)");
  for (char c : path)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      throw error(errc::validation_failed, "path: must not contain control characters");
}

}  // namespace

std::string validate_pull_state_name(std::string_view name) {
  if (name.empty() || name.size() > max_pull_state_name_length || !std::all_of(name.begin(), name.end(), name_char))
    throw error(errc::validation_failed,
                "state: must be 1 to " + std::to_string(max_pull_state_name_length) +
                    " characters of letters, digits and . _ - : / (e.g. 'time_entries-daily')");
  return std::string(name);
}

namespace detail {
namespace {

constexpr const char* columns = "SELECT id, uid, name, path, mark, recent, created_at, updated_at FROM pull_states";

// The row, checked against its authenticator before anything from it is used.
PullState from_row(const PullStateAccess& a, const Statement& s) {
  a.check(s.int64(0), s.text(2), s.text(1));
  PullState out;
  out.name = s.text(2);
  out.path = s.text(3);
  out.mark = s.int64(4);
  out.recent = decode_recent(s.text(5));
  out.created_at = s.int64(6);
  out.updated_at = s.int64(7);
  return out;
}

bool parse_int64(std::string_view text, std::int64_t& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

}  // namespace

std::string encode_recent(const std::vector<PullRecord>& recent) {
  std::string out;
  out.reserve(recent.size() * 24);
  for (const auto& r : recent) {
    if (!out.empty()) out += ',';
    out += std::to_string(r.id);
    out += ':';
    out += std::to_string(r.updated_at);
  }
  return out;
}

std::vector<PullRecord> decode_recent(std::string_view text) {
  std::vector<PullRecord> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    const auto colon = item.find(':');
    PullRecord r;
    if (colon == std::string_view::npos || !parse_int64(item.substr(0, colon), r.id) ||
        !parse_int64(item.substr(colon + 1), r.updated_at))
      throw error(errc::store_error, "a pull state's list of recent records is damaged; delete the state (the next "
                                     "pull then takes everything)");
    out.push_back(r);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
    if (text.empty())
      throw error(errc::store_error, "a pull state's list of recent records is damaged; delete the state (the next "
                                     "pull then takes everything)");
  }
  return out;
}

std::optional<PullState> find_pull_state(const PullStateAccess& a, std::int64_t connection_rowid,
                                         std::string_view name) {
  Statement s = a.db.prepare(std::string(columns) + " WHERE connection_id = ? AND name = ?");
  s.bind(1, connection_rowid).bind(2, name);
  if (!s.step()) return std::nullopt;
  return from_row(a, s);
}

std::vector<PullState> list_pull_states(const PullStateAccess& a, std::int64_t connection_rowid) {
  Statement s = a.db.prepare(std::string(columns) + " WHERE connection_id = ? ORDER BY name");
  s.bind(1, connection_rowid);
  std::vector<PullState> out;
  while (s.step()) out.push_back(from_row(a, s));
  return out;
}

void write_pull_state(const PullStateAccess& a, std::int64_t connection_rowid, const PullState& state,
                      std::int64_t now) {
  const std::string name = validate_pull_state_name(state.name);
  validate_path(state.path);
  if (state.recent.size() > max_pull_recent_records)
    throw error(errc::validation_failed, "recent: more than " + std::to_string(max_pull_recent_records) +
                                             " records were updated within the overlap window; use a shorter overlap");
  const std::string recent = encode_recent(state.recent);
  const auto& table = authenticated_table("pull_states");
  Statement s = a.db.prepare("SELECT id, uid, name, path FROM pull_states WHERE connection_id = ? AND name = ?");
  s.bind(1, connection_rowid).bind(2, name);
  if (s.step()) {
    const std::int64_t rowid = s.int64(0);
    a.check(rowid, s.text(2), s.text(1));  // never re-authenticate a tampered row
    if (s.text(3) != state.path)
      throw error(errc::validation_failed,
                  "state: the pull state '" + s.text(2) + "' belongs to " + s.text(3) + ", not " + state.path +
                      "; give this pull another state name, or delete that state first");
    a.db.prepare("UPDATE pull_states SET mark = ?, recent = ?, updated_at = ? WHERE id = ?")
        .bind(1, state.mark)
        .bind(2, recent)
        .bind(3, now)
        .bind(4, rowid)
        .run();
    authenticate_row(a.db, table, a.row_key, a.store_id, rowid);
    return;
  }
  Statement insert = a.db.prepare(
      "INSERT INTO pull_states(uid, connection_id, name, path, mark, recent, created_at, updated_at) "
      "VALUES(?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
  insert.bind(1, crypto::hex_encode(crypto::random_bytes(16)))
      .bind(2, connection_rowid)
      .bind(3, name)
      .bind(4, state.path)
      .bind(5, state.mark)
      .bind(6, recent)
      .bind(7, now)
      .bind(8, now);
  authenticate_row(a.db, table, a.row_key, a.store_id, insert_returning_id(insert));
}

bool remove_pull_state(Database& db, std::int64_t connection_rowid, std::string_view name) {
  db.prepare("DELETE FROM pull_states WHERE connection_id = ? AND name = ?")
      .bind(1, connection_rowid)
      .bind(2, name)
      .run();
  return db.changes() > 0;
}

}  // namespace detail
}  // namespace harvest_connect::store
