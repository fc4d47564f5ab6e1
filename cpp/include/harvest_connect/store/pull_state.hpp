#pragma once
// The stored state of an incremental pull (Python: HarvestClient.pull; docs/pulls.md): per
// connection and state name, the list endpoint it belongs to, the high-water mark (the
// largest updated_at delivered to the caller) and the records delivered in the overlap
// window that ends at the mark, so that the next pull, which asks Harvest for
// updated_since = mark - overlap, can drop those it already delivered.
//
// Nothing here is secret (ids and times), so the row is not sealed; it is authenticated like
// every row of the store (row_mac, store/detail/row_mac.hpp): a mark moved forward behind the
// store's back would make the next pull skip records without a word. Deleting the connection
// deletes its states.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace harvest_connect::store {

// A record delivered by a pull: its id and updated_at (Unix seconds).
struct PullRecord {
  std::int64_t id = 0;
  std::int64_t updated_at = 0;

  friend bool operator==(const PullRecord&, const PullRecord&) = default;
};

struct PullState {
  std::string name;   // the state name (validate_pull_state_name)
  std::string path;   // the endpoint and its filters, e.g. "/time_entries?project_id=7"
  std::int64_t mark = 0;             // Unix seconds: the largest updated_at delivered
  std::vector<PullRecord> recent;    // delivered with updated_at in the overlap window
  std::int64_t created_at = 0;       // set by the store
  std::int64_t updated_at = 0;       // set by the store
};

inline constexpr std::size_t max_pull_state_name_length = 100;
inline constexpr std::size_t max_pull_path_length = 2000;
// A state holds at most this many recent records (about 30 bytes each in the store): an
// overlap window with more updates than that is refused with advice to shorten it.
inline constexpr std::size_t max_pull_recent_records = 1'000'000;

// The name, or errc::validation_failed: 1 to 100 of A-Z a-z 0-9 . _ - : / (a name appears in
// messages and the CLI, and names are compared ignoring case, as connection names are).
[[nodiscard]] std::string validate_pull_state_name(std::string_view name);

}  // namespace harvest_connect::store
