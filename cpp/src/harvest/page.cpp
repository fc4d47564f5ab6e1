#include "harvest_connect/harvest/page.hpp"

#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <charconv>
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

void validate(std::string_view body) {
  json::basic_parser<null_handler> parser(json::parse_options{});
  json::error_code ec;
  const auto used = parser.write_some(false, body.data(), body.size(), ec);
  if (ec || used != body.size()) not_a_page("not valid JSON");
}

// A structural scanner over text already known to be valid JSON.
struct Scanner {
  const char* p;
  const char* end;

  void ws() noexcept {
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) ++p;
  }
  void string() noexcept {  // at the opening quote
    ++p;
    while (p < end) {
      const char c = *p++;
      if (c == '\\') {
        ++p;
      } else if (c == '"') {
        return;
      }
    }
  }
  void value() noexcept {
    if (p >= end) return;
    const char c = *p;
    if (c == '"') {
      string();
    } else if (c == '{' || c == '[') {
      int depth = 0;
      while (p < end) {
        const char d = *p;
        if (d == '"') {
          string();
          continue;
        }
        ++p;
        if (d == '{' || d == '[') {
          ++depth;
        } else if (d == '}' || d == ']') {
          if (--depth == 0) return;
        }
      }
    } else {
      while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') ++p;
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
  return std::string(json::parse(quoted).as_string());
}

}  // namespace

Page parse_page(std::string_view body, std::string_view resource_hint) {
  validate(body);
  Scanner s{body.data(), body.data() + body.size()};
  s.ws();
  if (s.p >= s.end || *s.p != '{') not_a_page("not a JSON object");
  ++s.p;

  std::vector<std::pair<std::string, std::string_view>> arrays;
  std::optional<std::string_view> links;
  Page page;
  for (;;) {
    s.ws();
    if (*s.p == '}') break;
    if (*s.p == ',') {
      ++s.p;
      s.ws();
    }
    const char* key_begin = s.p;
    s.string();
    std::string key = key_text(std::string_view(key_begin, static_cast<std::size_t>(s.p - key_begin)));
    s.ws();
    ++s.p;  // ':'
    s.ws();
    const char* value_begin = s.p;
    s.value();
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
  }

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

  Scanner a{array.data() + 1, array.data() + array.size() - 1};
  for (;;) {
    a.ws();
    if (a.p >= a.end) break;
    if (*a.p == ',') {
      ++a.p;
      a.ws();
    }
    const char* record_begin = a.p;
    a.value();
    page.records.emplace_back(record_begin, static_cast<std::size_t>(a.p - record_begin));
  }

  if (links) {
    const json::value parsed = json::parse(*links);
    if (const auto* object = parsed.if_object()) {
      if (const auto* next = object->if_contains("next")) {
        if (const auto* text = next->if_string(); text && !text->empty()) page.next = std::string(*text);
      }
    }
  }
  return page;
}

}  // namespace harvest_connect::harvest
