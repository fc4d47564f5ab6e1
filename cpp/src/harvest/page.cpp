#include "harvest_connect/harvest/page.hpp"

#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <array>
#include <charconv>
#include <cstring>
#include <unordered_set>
#include <utility>

#include "harvest_connect/error.hpp"

namespace harvest_connect::harvest {

namespace json = boost::json;

namespace {

[[noreturn]] void not_a_page(const std::string& why) {
  throw error(errc::api_error, "Harvest's answer is not a list page: " + why +
                                   " (paginate works on list endpoints such as /time_entries)");
}

// A validating pass that builds nothing.
struct null_handler {
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);
  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) { return true; }
  bool on_object_end(std::size_t, json::error_code&) { return true; }
  bool on_array_begin(json::error_code&) { return true; }
  bool on_array_end(std::size_t, json::error_code&) { return true; }
  bool on_key_part(json::string_view, std::size_t, json::error_code&) { return true; }
  bool on_key(json::string_view, std::size_t, json::error_code&) { return true; }
  bool on_string_part(json::string_view, std::size_t, json::error_code&) { return true; }
  bool on_string(json::string_view, std::size_t, json::error_code&) { return true; }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t, json::string_view, json::error_code&) { return true; }
  bool on_uint64(std::uint64_t, json::string_view, json::error_code&) { return true; }
  bool on_double(double, json::string_view, json::error_code&) { return true; }
  bool on_bool(bool, json::error_code&) { return true; }
  bool on_null(json::error_code&) { return true; }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }
};

// As deep as Python's json.loads goes (its recursion limit), so a page the Python layer
// accepts is not refused by an export; Boost.JSON's default is 32.
constexpr std::size_t max_depth = 1000;

void validate(std::string_view body) {
  json::parse_options options;
  options.max_depth = max_depth;
  json::basic_parser<null_handler> parser(options);
  json::error_code ec;
  const auto used = parser.write_some(false, body.data(), body.size(), ec);
  if (ec || used != body.size()) not_a_page("not valid JSON");
}

// The bytes a scan of a container must stop at: quotes and brackets.
constexpr auto structural = [] {
  std::array<bool, 256> t{};
  for (unsigned char c : {'"', '{', '}', '[', ']'}) t[c] = true;
  return t;
}();

[[noreturn]] void not_json() { not_a_page("not valid JSON"); }

// A structural scanner. It never reads outside [p, end), whatever the bytes; on text that is
// not JSON it either fails (not_json) or cuts out views that are not JSON values either,
// which is why a body is validated first unless the caller parses every record itself.
struct Scanner {
  const char* p;
  const char* end;

  [[nodiscard]] bool at(char c) const noexcept { return p < end && *p == c; }
  void expect(char c) {
    if (!at(c)) not_json();
    ++p;
  }
  void ws() noexcept {
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) ++p;
  }
  // At the opening quote; leaves p after the closing one. memchr finds each candidate quote
  // (most of a page's bytes are inside strings), which is escaped when an odd number of
  // backslashes precedes it.
  void string() {
    const char* const open = p++;
    while (p < end) {
      const auto* quote = static_cast<const char*>(std::memchr(p, '"', static_cast<std::size_t>(end - p)));
      if (quote == nullptr) break;
      const char* run = quote;
      while (run > open + 1 && run[-1] == '\\') --run;
      p = quote + 1;
      if (((quote - run) & 1) == 0) return;
    }
    not_json();  // unterminated
  }
  // One value of any kind; fails when there is none here or it is not closed.
  void value() {
    if (p >= end) not_json();
    const char c = *p;
    if (c == '"') {
      string();
    } else if (c == '{' || c == '[') {
      std::size_t depth = 0;
      while (p < end) {
        while (p < end && !structural[static_cast<unsigned char>(*p)]) ++p;  // numbers, literals, ':' and ','
        if (p >= end) break;
        const char d = *p;
        if (d == '"') {
          string();
          continue;
        }
        ++p;
        if (d == '{' || d == '[') {
          ++depth;
        } else if (--depth == 0) {  // '}' or ']'
          return;
        }
      }
      not_json();  // not closed
    } else {
      const char* const begin = p;
      while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ':' && *p != ' ' && *p != '\n' &&
             *p != '\r' && *p != '\t') {
        ++p;
      }
      if (p == begin) not_json();  // a delimiter where a value belongs
    }
  }
  // At '['; leaves p after the matching ']' with each element's text in `out`.
  void elements(std::vector<std::string_view>& out) {
    expect('[');
    ws();
    if (at(']')) {
      ++p;
      return;
    }
    for (;;) {
      ws();
      const char* const begin = p;
      value();
      out.emplace_back(begin, static_cast<std::size_t>(p - begin));
      ws();
      if (at(']')) {
        ++p;
        return;
      }
      expect(',');
    }
  }
};

std::optional<std::int64_t> integer(std::string_view text) {
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

std::string key_text(std::string_view quoted) {
  if (quoted.find('\\') == std::string_view::npos) return std::string(quoted.substr(1, quoted.size() - 2));
  json::error_code ec;
  const json::value key = json::parse(quoted, ec);
  if (ec || !key.is_string()) not_json();
  return std::string(key.get_string());
}

void finish(Page& page, std::optional<std::string_view> links) {
  if (!links) return;
  json::error_code ec;
  const json::value parsed = json::parse(*links, ec);
  if (ec) not_a_page("its links are not valid JSON");
  if (const auto* object = parsed.if_object()) {
    if (const auto* next = object->if_contains("next")) {
      if (const auto* text = next->if_string(); text && !text->empty()) page.next = std::string(*text);
    }
  }
}

}  // namespace

Page parse_page(std::string_view body, std::string_view resource_hint, PageValidation validation) {
  if (validation == PageValidation::whole_body) validate(body);
  Scanner s{body.data(), body.data() + body.size()};
  s.ws();
  if (!s.at('{')) not_a_page("not a JSON object");
  ++s.p;

  std::vector<std::pair<std::string, std::string_view>> arrays;
  std::unordered_set<std::string> keys;
  std::optional<std::string_view> links;
  Page page;
  const char* cut = nullptr;  // where the array page.records was cut from begins
  s.ws();
  if (s.at('}')) {
    ++s.p;
  } else {
    for (;;) {
      s.ws();
      const char* key_begin = s.p;
      if (!s.at('"')) not_json();
      s.string();
      std::string key = key_text(std::string_view(key_begin, static_cast<std::size_t>(s.p - key_begin)));
      // Readers disagree on repeated names (JSON only says they should be unique): which
      // array or links would count is not ours to guess.
      if (!keys.insert(key).second) not_a_page("the key \"" + key.substr(0, 64) + "\" appears twice");
      s.ws();
      s.expect(':');
      s.ws();
      const char* value_begin = s.p;
      if (!cut && s.at('[') && !resource_hint.empty() && key == resource_hint) {
        // The records array named by the hint: cut the records out on the way through it.
        cut = s.p;
        s.elements(page.records);
      } else {
        s.value();
      }
      const std::string_view value(value_begin, static_cast<std::size_t>(s.p - value_begin));
      if (key == "links") {
        links = value;
      } else if (value.front() == '[') {
        arrays.emplace_back(std::move(key), value);
      } else if (key == "page") {
        page.page = integer(value);
      } else if (key == "total_pages") {
        page.total_pages = integer(value);
      } else if (key == "total_entries") {
        page.total_entries = integer(value);
      } else if (key == "per_page") {
        page.per_page = integer(value);
      }
      s.ws();
      if (s.at('}')) {
        ++s.p;
        break;
      }
      s.expect(',');
    }
  }
  s.ws();
  if (s.p != s.end) not_json();  // something after the object

  std::string_view array;
  for (const auto& [name, value] : arrays) {
    if (!resource_hint.empty() && name == resource_hint) {
      page.resource = name;
      array = value;
    }
  }
  if (page.resource.empty()) {
    if (arrays.size() != 1) {
      not_a_page(arrays.empty() ? "it holds no records array"
                                : "it holds several arrays and none is named \"" + std::string(resource_hint) + "\"");
    }
    page.resource = arrays.front().first;
    array = arrays.front().second;
  }

  if (cut != array.data()) {
    page.records.clear();
    Scanner a{array.data(), array.data() + array.size()};
    a.elements(page.records);
  }
  finish(page, links);
  return page;
}

}  // namespace harvest_connect::harvest
