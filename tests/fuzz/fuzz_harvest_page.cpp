// Harvest list pages (harvest/page.hpp): the first byte picks the resource hint, the rest is
// the body. Every record handed out must be a view into the body; with whole-body validation
// it is itself valid JSON, and without it (the Python path) a body that is valid JSON must
// read exactly the same. Failures are harvest_connect::error only.
#include <boost/json/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "harvest_connect/error.hpp"
#include "harvest_connect/harvest/page.hpp"

namespace hc = harvest_connect;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static constexpr std::string_view hints[] = {"", "time_entries", "results", "users", "projects", "clients"};
  const std::string_view hint = hints[data[0] % 6];
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  auto inside = [&body](const hc::harvest::Page& page) {
    for (std::string_view record : page.records) {
      if (record.data() < body.data() || record.data() + record.size() > body.data() + body.size())
        __builtin_trap();  // not a view into the body
    }
  };
  std::optional<hc::harvest::Page> checked;
  try {
    checked = hc::harvest::parse_page(body, hint);
    inside(*checked);
    for (std::string_view record : checked->records) {
      boost::system::error_code ec;
      (void)boost::json::parse(record, ec);
      if (ec) __builtin_trap();  // a record that is not the JSON value it came from
    }
  } catch (const hc::error&) {
  }
  try {
    const hc::harvest::Page outlined = hc::harvest::parse_page(body, hint, hc::harvest::PageValidation::left_to_caller);
    inside(outlined);
    if (checked && (outlined.records != checked->records || outlined.next != checked->next ||
                    outlined.resource != checked->resource || outlined.total_pages != checked->total_pages)) {
      __builtin_trap();  // the structure-only reading differs on a valid page
    }
  } catch (const hc::error&) {
    if (checked) __builtin_trap();  // refused a page the validating reading accepted
  }
  return 0;
}
