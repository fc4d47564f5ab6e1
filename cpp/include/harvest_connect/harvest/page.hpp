#pragma once
// One page of a Harvest list answer:
//
//   {"time_entries":[{...},{...}], "per_page":2000, "total_pages":3, "total_entries":5000,
//    "next_page":2, "previous_page":null, "page":1,
//    "links":{"first":"…","next":"https://api.harvestapp.com/v2/time_entries?page=2&per_page=2000",
//             "previous":null,"last":"…"}}
//
// The records array is named after the resource ("results" for reports). Cursor-style
// endpoints give page/next_page as null and links.next with a cursor; either way the next
// page is links.next, and null means this was the last page.
//
// The body is validated with Boost.JSON; the records are then cut out of it as views of
// their exact bytes, so that an export writes them as Harvest sent them without building a
// document tree.
//
// A caller that parses every record strictly itself (the Python layer hands the body to
// json.loads) can skip that validation, which is most of parse_page's time: the page's
// fields are then read by a scanner that stays inside the body whatever its bytes, but a
// record view may not be a JSON value.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace harvest_connect::harvest {

struct Page {
  std::string resource;                   // the records array's name, e.g. "time_entries"
  std::vector<std::string_view> records;  // each record's JSON text; views into the body
  std::optional<std::string> next;        // links.next, nullopt on the last page
  std::optional<std::int64_t> page;
  std::optional<std::int64_t> total_pages;
  std::optional<std::int64_t> total_entries;
  std::optional<std::int64_t> per_page;
};

enum class PageValidation {
  whole_body,      // the body must be valid JSON: every record view is a JSON value
  left_to_caller,  // only the page's structure is checked; the caller validates the records
};

// Parses a list page. `resource_hint` names the records array when known (api_path's
// resource_name()); otherwise, or when it is absent, the page's only top-level array other
// than "links" is taken. errc::api_error when the body is not valid JSON (nested deeper than
// 1,000 levels counts as invalid) or not a list page.
// `body` must outlive the Page.
[[nodiscard]] Page parse_page(std::string_view body, std::string_view resource_hint = {},
                              PageValidation validation = PageValidation::whole_body);

}  // namespace harvest_connect::harvest
