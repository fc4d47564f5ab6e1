// Harvest list pages (harvest/page.hpp): the first byte picks the resource hint, the rest is
// the body. Every record handed out must be a view into the body. When the body is valid JSON
// (as deep as parse_page allows), both readings, with and without whole-body validation (the
// latter is the Python path), must accept it and agree with its Boost.JSON document: the
// records are the array's elements, links.next is the document's. When it is not, the
// validating reading must refuse it. Failures are harvest_connect::error only.
#include <boost/json/parse.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "harvest_connect/error.hpp"
#include "harvest_connect/harvest/page.hpp"

namespace hc = harvest_connect;
namespace json = boost::json;

namespace {

std::optional<hc::harvest::Page> read(std::string_view body, std::string_view hint,
                                      hc::harvest::PageValidation validation) {
  try {
    hc::harvest::Page page = hc::harvest::parse_page(body, hint, validation);
    for (std::string_view record : page.records) {
      if (record.data() < body.data() || record.data() + record.size() > body.data() + body.size())
        __builtin_trap();  // not a view into the body
    }
    return page;
  } catch (const hc::error&) {
    return std::nullopt;
  }
}

// Whether two values are the same, doubles within rounding: Boost 1.81 reads a number along
// different paths depending on what follows it in the buffer, and may round the last bit
// differently (it also reads 0e551 as NaN).
bool same(const json::value& a, const json::value& b) {
  if (a.is_double() || b.is_double()) {
    if (!a.is_double() || !b.is_double()) return false;
    const double x = a.get_double(), y = b.get_double();
    if (std::isnan(x) || std::isnan(y)) return std::isnan(x) && std::isnan(y);
    return x == y || std::fabs(x - y) <= 1e-12 * std::max(std::fabs(x), std::fabs(y));
  }
  if (a.kind() != b.kind()) return false;
  if (const auto* x = a.if_array()) {
    const auto& y = b.get_array();
    if (x->size() != y.size()) return false;
    for (std::size_t i = 0; i < x->size(); ++i) {
      if (!same((*x)[i], y[i])) return false;
    }
    return true;
  }
  if (const auto* x = a.if_object()) {
    const auto& y = b.get_object();
    if (x->size() != y.size()) return false;
    for (const auto& member : *x) {
      const auto* other = y.if_contains(member.key());
      if (other == nullptr || !same(member.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}

// Whether `page` is what the document says.
bool matches(const hc::harvest::Page& page, const json::value& document, const json::parse_options& options) {
  const auto* object = document.if_object();
  if (object == nullptr) return false;
  const auto* array = object->if_contains(page.resource);
  if (array == nullptr || !array->is_array() || array->as_array().size() != page.records.size()) return false;
  for (std::size_t i = 0; i < page.records.size(); ++i) {
    json::error_code ec;
    const json::value record = json::parse(page.records[i], ec, {}, options);
    if (ec || !same(record, array->as_array()[i])) return false;
  }
  std::optional<std::string> next;
  if (const auto* links = object->if_contains("links"); links && links->is_object()) {
    if (const auto* n = links->as_object().if_contains("next"); n && n->is_string() && !n->as_string().empty())
      next = std::string(n->as_string());
  }
  return next == page.next;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static constexpr std::string_view hints[] = {"", "time_entries", "results", "users", "projects", "clients"};
  const std::string_view hint = hints[data[0] % 6];
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);

  const auto checked = read(body, hint, hc::harvest::PageValidation::whole_body);
  const auto outlined = read(body, hint, hc::harvest::PageValidation::left_to_caller);

  json::parse_options options;
  options.max_depth = 1000;  // parse_page's limit
  json::error_code ec;
  const json::value document = json::parse(body, ec, {}, options);
  if (ec) {
    if (checked) __builtin_trap();  // the validating reading accepted invalid JSON
    return 0;
  }
  // Valid JSON: both readings agree, and with the document when they accept it. (Duplicate
  // keys are where a document keeps only the last value; both readings take the last too.)
  if (checked.has_value() != outlined.has_value()) __builtin_trap();
  if (checked && (!matches(*checked, document, options) || !matches(*outlined, document, options))) {
    __builtin_trap();
  }
  return 0;
}
