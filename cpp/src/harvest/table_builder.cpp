// Record batches from list pages: each page is read once with Boost.JSON's streaming parser
// (basic_parser with a handler of ours, PageReader), and every field goes to its column as it
// is parsed, found through a tree of field names (nested objects as sub-trees; the field at
// the same position as in the previous record is tried before a hash lookup). No document
// tree is built: only values kept as JSON text are.
#include "harvest_connect/harvest/table_builder.hpp"

#include <algorithm>
#include <deque>
#include <limits>
#include <unordered_map>

#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>

#include "harvest_connect/error.hpp"

namespace harvest_connect::harvest {

namespace json = boost::json;

namespace {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

// A field of a record (or of a nested object): a column, a nested object, a column not
// selected, or (inferred tables) a field seen only as null so far.
struct Entry {
  int column = -1;  // index into State::specs
  int node = -1;    // index into State::nodes
  bool skip = false;
  bool null_only = false;
};

struct Node {
  std::unordered_map<std::string, Entry, StringHash, std::equal_to<>> fields;
  std::vector<std::string> order;  // field names in order of first appearance (inferred)
  // The entry found for the i-th field of the last record: records of one endpoint list their
  // fields in the same order, so a comparison with the same name usually replaces hashing it.
  std::vector<std::pair<std::string_view, Entry*>> by_position;
};

std::string_view text(const json::string& s) noexcept { return {s.data(), s.size()}; }
std::string_view text(std::string_view s) noexcept { return s; }

std::string join(std::string_view prefix, std::string_view key) {
  if (prefix.empty()) return std::string(key);
  std::string out;
  out.reserve(prefix.size() + 1 + key.size());
  out.append(prefix).append(1, '.').append(key);
  return out;
}

std::string_view kind_name(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "a boolean";
    case json::kind::int64:
    case json::kind::uint64: return "an integer";
    case json::kind::double_: return "a float";
    case json::kind::string: return "a string";
    case json::kind::array: return "an array";
    case json::kind::object: return "an object";
  }
  return "a value";
}

// A scalar value as the streaming parser reports it; `text` is a string's (unescaped) bytes
// or a number's JSON text, valid during the callback.
struct Scalar {
  json::kind k = json::kind::null;
  std::int64_t i = 0;
  std::uint64_t u = 0;
  double d = 0;
  bool b = false;
  std::string_view text;

  [[nodiscard]] json::kind kind() const noexcept { return k; }
  [[nodiscard]] bool is_null() const noexcept { return k == json::kind::null; }
  [[nodiscard]] bool is_int64() const noexcept { return k == json::kind::int64; }
  [[nodiscard]] bool is_uint64() const noexcept { return k == json::kind::uint64; }
  [[nodiscard]] bool is_double() const noexcept { return k == json::kind::double_; }
  [[nodiscard]] bool is_bool() const noexcept { return k == json::kind::bool_; }
  [[nodiscard]] bool is_string() const noexcept { return k == json::kind::string; }
  [[nodiscard]] bool is_number() const noexcept { return is_int64() || is_uint64() || is_double(); }
  [[nodiscard]] bool is_object() const noexcept { return false; }
  [[nodiscard]] std::int64_t get_int64() const noexcept { return i; }
  [[nodiscard]] std::uint64_t get_uint64() const noexcept { return u; }
  [[nodiscard]] double get_double() const noexcept { return d; }
  [[nodiscard]] bool get_bool() const noexcept { return b; }
  [[nodiscard]] std::string_view get_string() const noexcept { return text; }
  [[nodiscard]] json::value value() const {
    switch (k) {
      case json::kind::bool_: return json::value(b);
      case json::kind::int64: return json::value(i);
      case json::kind::uint64: return json::value(u);
      case json::kind::double_: return json::value(d);
      case json::kind::string: return json::value(json::string_view(text.data(), text.size()));
      default: return json::value(nullptr);
    }
  }
};

std::string_view kind_name(const Scalar& v) { return kind_name(v.value()); }

std::string to_json(const json::value& v) { return json::serialize(v); }
std::string to_json(const Scalar& v) {
  // A number keeps the text it was sent with; a string is escaped again.
  if (v.is_number()) return std::string(v.text);
  return json::serialize(v.value());
}

void push_validity(ColumnData& c, bool valid) {
  if (c.length % 8 == 0) c.validity.push_back(0);
  if (valid) {
    c.validity.back() = static_cast<std::uint8_t>(c.validity.back() | (1u << (c.length % 8)));
  } else {
    ++c.null_count;
  }
}

void push_bit(std::vector<std::uint8_t>& bits, std::int64_t index, bool value) {
  if (index % 8 == 0) bits.push_back(0);
  if (value) bits.back() = static_cast<std::uint8_t>(bits.back() | (1u << (index % 8)));
}

void init_column(ColumnData& c, ColumnType type, std::size_t reserve) {
  c = ColumnData{};
  c.type = type;
  c.validity.reserve(reserve / 8 + 1);
  switch (type) {
    case ColumnType::int64:
    case ColumnType::timestamp_us: c.i64.reserve(reserve); break;
    case ColumnType::float64: c.f64.reserve(reserve); break;
    case ColumnType::date32: c.i32.reserve(reserve); break;
    case ColumnType::boolean: c.bits.reserve(reserve / 8 + 1); break;
    case ColumnType::null:  // exported as utf8, all null
    case ColumnType::utf8:
    case ColumnType::json:
      c.offsets.reserve(reserve + 1);
      c.offsets.push_back(0);
      break;
  }
}

void push_null(ColumnData& c) {
  push_validity(c, false);
  switch (c.type) {
    case ColumnType::int64:
    case ColumnType::timestamp_us: c.i64.push_back(0); break;
    case ColumnType::float64: c.f64.push_back(0); break;
    case ColumnType::date32: c.i32.push_back(0); break;
    case ColumnType::boolean: push_bit(c.bits, c.length, false); break;
    case ColumnType::null:
    case ColumnType::utf8:
    case ColumnType::json: c.offsets.push_back(static_cast<std::int32_t>(c.chars.size())); break;
  }
  ++c.length;
}

void widen_to_float(ColumnData& c) {
  c.f64.reserve(std::max(c.i64.capacity(), c.i64.size()));
  for (std::int64_t v : c.i64) c.f64.push_back(static_cast<double>(v));
  c.i64.clear();
  c.i64.shrink_to_fit();
  c.type = ColumnType::float64;
}

constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  // Howard Hinnant's algorithm (proleptic Gregorian calendar).
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool digits(std::string_view s, std::size_t at, std::size_t n, unsigned& out) noexcept {
  if (at + n > s.size()) return false;
  out = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + static_cast<unsigned>(s[i] - '0');
  }
  return true;
}

bool parse_ymd(std::string_view s, std::int64_t& days) noexcept {
  unsigned y = 0, m = 0, d = 0;
  if (s.size() < 10 || s[4] != '-' || s[7] != '-' || !digits(s, 0, 4, y) || !digits(s, 5, 2, m) ||
      !digits(s, 8, 2, d)) {
    return false;
  }
  if (m < 1 || m > 12 || d < 1) return false;
  static constexpr unsigned month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (d > month_days[m - 1] + (m == 2 && leap ? 1 : 0)) return false;
  days = days_from_civil(y, m, d);
  return true;
}

}  // namespace

bool parse_date32(std::string_view text, std::int32_t& days) noexcept {
  std::int64_t d = 0;
  if (text.size() != 10 || !parse_ymd(text, d)) return false;
  days = static_cast<std::int32_t>(d);
  return true;
}

bool parse_timestamp_us(std::string_view s, std::int64_t& micros) noexcept {
  std::int64_t days = 0;
  unsigned h = 0, mi = 0, se = 0;
  if (s.size() < 20 || !parse_ymd(s, days) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' ||
      s[16] != ':' || !digits(s, 11, 2, h) || !digits(s, 14, 2, mi) || !digits(s, 17, 2, se) || h > 23 || mi > 59 ||
      se > 60) {
    return false;
  }
  std::size_t at = 19;
  std::int64_t fraction = 0;
  if (s[at] == '.') {
    ++at;
    std::size_t n = 0;
    while (at < s.size() && s[at] >= '0' && s[at] <= '9') {
      if (n < 6) fraction = fraction * 10 + (s[at] - '0');
      ++n;
      ++at;
    }
    if (n == 0) return false;
    for (; n < 6; ++n) fraction *= 10;
  }
  std::int64_t offset = 0;
  const std::string_view zone = s.substr(at);
  if (zone == "Z" || zone == "z") {
    offset = 0;
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
    unsigned oh = 0, om = 0;
    if (!digits(zone, 1, 2, oh) || !digits(zone, 4, 2, om) || oh > 23 || om > 59) return false;
    offset = (static_cast<std::int64_t>(oh) * 3600 + om * 60) * (zone[0] == '+' ? 1 : -1);
  } else {
    return false;
  }
  micros = ((days * 86400 + h * 3600 + mi * 60 + se) - offset) * 1'000'000 + fraction;
  return true;
}

struct TableBuilder::State {
  std::string path;
  bool declared = false;
  std::vector<std::string> selection;
  bool keep_extra = false;
  std::deque<Node> nodes;  // nodes[0]: the record
  std::vector<ColumnSpec> specs;
  std::vector<std::string> missing_selected;  // declared: none; inferred: added by schema()

  // Per page.
  std::unique_ptr<unsigned char[]> arena_memory;
  std::size_t arena_size = 0;
  std::size_t last_rows = 0;
  int extra_index = -1;
  std::uint64_t page = 0;
  std::size_t record = 0;
  RecordBatch* batch = nullptr;
  json::object extra;

  [[noreturn]] void fail(std::string_view field, const std::string& what) const {
    std::string m = "the table of " + path + ": page " + std::to_string(page);
    if (record != static_cast<std::size_t>(-1)) m += ", record " + std::to_string(record + 1);
    if (!field.empty()) m += ", field \"" + std::string(field) + "\"";
    m += ": " + what;
    throw error(errc::api_error, m);
  }

  bool selected(std::string_view name) const {
    if (selection.empty()) return true;
    for (const auto& s : selection) {
      if (name == s || (name.size() > s.size() && name.starts_with(s) && name[s.size()] == '.')) return true;
    }
    return false;
  }

  int add_node() {
    nodes.emplace_back();
    return static_cast<int>(nodes.size() - 1);
  }

  // The entry for a dotted name, nodes created on the way.
  Entry& entry_for(std::string_view dotted) {
    int node = 0;
    for (;;) {
      const auto dot = dotted.find('.');
      const std::string_view key = dotted.substr(0, dot);
      auto [it, inserted] = nodes[static_cast<std::size_t>(node)].fields.try_emplace(std::string(key));
      if (inserted) nodes[static_cast<std::size_t>(node)].order.emplace_back(key);
      if (dot == std::string_view::npos) return it->second;
      if (it->second.node < 0) it->second.node = add_node();
      node = it->second.node;
      dotted.remove_prefix(dot + 1);
    }
  }

  int add_column(std::string name, ColumnType type, std::int64_t rows_so_far) {
    specs.push_back({std::move(name), type});
    if (batch != nullptr) {
      batch->columns.emplace_back();
      ColumnData& c = batch->columns.back();
      init_column(c, type, 0);
      for (std::int64_t i = 0; i < rows_so_far; ++i) push_null(c);
    }
    return static_cast<int>(specs.size() - 1);
  }

  template <class V>  // json::value or Scalar
  void append(int column, const V& v, std::string_view prefix, std::string_view key) {
    ColumnData& c = batch->columns[static_cast<std::size_t>(column)];
    if (c.length != static_cast<std::int64_t>(record)) fail(join(prefix, key), "the field appears twice in the record");
    if (v.is_null()) {
      push_null(c);
      return;
    }
    auto wrong = [&](std::string_view expected) {
      fail(join(prefix, key), "expected " + std::string(expected) + ", got " + std::string(kind_name(v)) +
                                  (declared ? " (the declared schema's type; docs/tables.md)" : " (cannot widen the column)"));
    };
    switch (c.type) {
      case ColumnType::int64:
        if (v.is_int64()) {
          c.i64.push_back(v.get_int64());
        } else if (v.is_uint64()) {
          fail(join(prefix, key), "the integer " + std::to_string(v.get_uint64()) + " does not fit int64");
        } else if (v.is_double() && !declared) {
          widen_to_float(c);
          specs[static_cast<std::size_t>(column)].type = ColumnType::float64;
          c.f64.push_back(v.get_double());
        } else {
          wrong("an integer");
        }
        break;
      case ColumnType::float64:
        if (v.is_double()) {
          c.f64.push_back(v.get_double());
        } else if (v.is_int64()) {
          c.f64.push_back(static_cast<double>(v.get_int64()));
        } else if (v.is_uint64()) {
          c.f64.push_back(static_cast<double>(v.get_uint64()));
        } else {
          wrong("a number");
        }
        break;
      case ColumnType::boolean:
        if (!v.is_bool()) wrong("a boolean");
        push_bit(c.bits, c.length, v.get_bool());
        break;
      case ColumnType::utf8:
        if (v.is_string()) {
          c.chars.append(v.get_string().data(), v.get_string().size());
        } else if (v.is_number() || v.is_bool()) {
          c.chars += to_json(v);  // e.g. an external id sent as a number
        } else {
          wrong("a string");
        }
        break;
      case ColumnType::json: c.chars += to_json(v); break;
      case ColumnType::date32: {
        std::int32_t days = 0;
        if (!v.is_string()) wrong("a date string");
        if (!parse_date32(text(v.get_string()), days)) fail(join(prefix, key), "not a date (YYYY-MM-DD)");
        c.i32.push_back(days);
        break;
      }
      case ColumnType::timestamp_us: {
        std::int64_t micros = 0;
        if (!v.is_string()) wrong("a date-time string");
        if (!parse_timestamp_us(text(v.get_string()), micros)) {
          fail(join(prefix, key), "not an ISO 8601 date-time with a time zone (2017-06-27T15:50:15Z)");
        }
        c.i64.push_back(micros);
        break;
      }
      case ColumnType::null: fail(join(prefix, key), "internal: a column without a type");
    }
    if (c.type == ColumnType::utf8 || c.type == ColumnType::json) {
      if (c.chars.size() > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
        fail(join(prefix, key), "a page's text exceeds 2 GiB");
      }
      c.offsets.push_back(static_cast<std::int32_t>(c.chars.size()));
    }
    push_validity(c, true);
    ++c.length;
  }

  template <class V>
  static ColumnType inferred_type(const V& v) {
    switch (v.kind()) {
      case json::kind::bool_: return ColumnType::boolean;
      case json::kind::int64:
      case json::kind::uint64: return ColumnType::int64;
      case json::kind::double_: return ColumnType::float64;
      case json::kind::string: return ColumnType::utf8;
      case json::kind::array: return ColumnType::json;
      default: return ColumnType::null;
    }
  }

  // The entry of field `key` of an object of `node` at `position` (nullptr: a field a declared
  // schema does not list). Inferred schemas get an entry for every new field.
  Entry* entry_at(int node, std::size_t position, std::string_view key) {
    Node& here = nodes[static_cast<std::size_t>(node)];
    if (position < here.by_position.size() && here.by_position[position].first == key) {
      return here.by_position[position].second;
    }
    auto it = here.fields.find(key);
    if (it == here.fields.end()) {
      if (declared) return nullptr;
      it = here.fields.try_emplace(std::string(key)).first;
      here.order.emplace_back(key);
      it->second.null_only = true;
    }
    if (here.by_position.size() <= position) here.by_position.resize(position + 1);
    here.by_position[position] = {std::string_view(it->first), &it->second};  // map keys and entries never move
    return &it->second;
  }

  // Inferred: the names of fields only ever seen as null (all-null string columns).
  void null_only_names(int node, const std::string& prefix, std::vector<std::string>& out) const {
    const Node& n = nodes[static_cast<std::size_t>(node)];
    for (const auto& key : n.order) {
      const Entry& e = n.fields.at(key);
      const std::string name = join(prefix, key);
      if (e.node >= 0) {
        null_only_names(e.node, name, out);
      } else if (e.null_only && selected(name)) {
        out.push_back(name);
      }
    }
  }
};

namespace {

// Reads one page with Boost.JSON's streaming parser and appends each record's fields to the
// columns as they are parsed: no document tree is built (building one was most of the time).
// Values that are kept as JSON text (arrays, objects of JSON columns, fields for "_extra")
// are captured into a json::value through a value_stack, as Boost.JSON's own parser does.
class PageReader {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  PageReader(TableBuilder::State& s, std::string_view resource, json::storage_ptr arena)
      : s_(s), resource_(resource), arena_(std::move(arena)), capture_(arena_) {}

  [[nodiscard]] bool found_records() const noexcept { return found_; }
  [[nodiscard]] std::size_t rows() const noexcept { return rows_; }

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

  bool on_object_begin(json::error_code&) {
    begin_container(true);
    return true;
  }
  bool on_object_end(std::size_t n, json::error_code&) {
    if (ignore_ > 0) {
      --ignore_;
      return true;
    }
    if (capturing_ > 0) {
      capture_.push_object(n);
      if (--capturing_ == 0) captured();
      return true;
    }
    --depth_;
    if (depth_ == 2 && in_records_) {
      end_record();
    } else if (depth_ >= 3) {
      frames_.pop_back();
    }
    return true;
  }
  bool on_array_begin(json::error_code&) {
    begin_container(false);
    return true;
  }
  bool on_array_end(std::size_t n, json::error_code&) {
    if (ignore_ > 0) {
      --ignore_;
      return true;
    }
    if (capturing_ > 0) {
      capture_.push_array(n);
      if (--capturing_ == 0) captured();
      return true;
    }
    --depth_;
    if (depth_ == 1) in_records_ = false;
    return true;
  }

  bool on_key_part(json::string_view part, std::size_t, json::error_code&) {
    if (ignore_ > 0) return true;
    if (capturing_ > 0) {
      capture_.push_chars(part);
      return true;
    }
    if (!partial_key_) key_.clear();  // the first part of a new key
    key_.append(part.data(), part.size());
    partial_key_ = true;
    return true;
  }
  bool on_key(json::string_view last, std::size_t, json::error_code&) {
    if (ignore_ > 0) return true;
    if (capturing_ > 0) {
      capture_.push_key(last);
      return true;
    }
    if (!partial_key_) key_.clear();
    key_.append(last.data(), last.size());
    partial_key_ = false;
    if (depth_ == 1) {
      next_is_records_ = key_ == resource_;
    } else if (depth_ >= 3) {
      Frame& f = frames_.back();
      entry_ = s_.entry_at(f.node, f.position++, key_);
    }
    return true;
  }

  bool on_string_part(json::string_view part, std::size_t, json::error_code&) {
    if (ignore_ > 0) return true;
    if (capturing_ > 0) {
      capture_.push_chars(part);
      return true;
    }
    text_.append(part.data(), part.size());
    partial_text_ = true;
    return true;
  }
  bool on_string(json::string_view last, std::size_t, json::error_code&) {
    if (ignore_ > 0) return true;
    if (capturing_ > 0) {
      capture_.push_string(last);
      return true;
    }
    Scalar v;
    v.k = json::kind::string;
    if (partial_text_) {
      text_.append(last.data(), last.size());
      v.text = text_;
    } else {
      v.text = std::string_view(last.data(), last.size());
    }
    scalar(v);
    text_.clear();
    partial_text_ = false;
    return true;
  }
  bool on_number_part(json::string_view part, json::error_code&) {
    if (ignore_ == 0 && capturing_ == 0) number_.append(part.data(), part.size());
    return true;
  }
  bool on_int64(std::int64_t i, json::string_view last, json::error_code&) {
    if (ignore_ > 0) return true;
    if (capturing_ > 0) {
      capture_.push_int64(i);
      return true;
    }
    Scalar v;
    v.k = json::kind::int64;
    v.i = i;
    scalar(with_number_text(v, last));
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view last, json::error_code&) {
    if (ignore_ > 0) return true;
    if (capturing_ > 0) {
      capture_.push_uint64(u);
      return true;
    }
    Scalar v;
    v.k = json::kind::uint64;
    v.u = u;
    scalar(with_number_text(v, last));
    return true;
  }
  bool on_double(double d, json::string_view last, json::error_code&) {
    if (ignore_ > 0) return true;
    if (capturing_ > 0) {
      capture_.push_double(d);
      return true;
    }
    Scalar v;
    v.k = json::kind::double_;
    v.d = d;
    scalar(with_number_text(v, last));
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    if (ignore_ > 0) return true;
    if (capturing_ > 0) {
      capture_.push_bool(b);
      return true;
    }
    Scalar v;
    v.k = json::kind::bool_;
    v.b = b;
    scalar(v);
    return true;
  }
  bool on_null(json::error_code&) {
    if (ignore_ > 0) return true;
    if (capturing_ > 0) {
      capture_.push_null();
      return true;
    }
    scalar(Scalar{});
    return true;
  }

 private:
  struct Frame {
    int node;
    std::string prefix;  // dotted name of the object ("" for the record)
    std::size_t position = 0;
  };
  // Where a captured value goes.
  enum class Target { none, column, extra };

  const Scalar& with_number_text(Scalar& v, json::string_view last) {
    if (number_.empty()) {
      v.text = std::string_view(last.data(), last.size());
    } else {
      number_.append(last.data(), last.size());
      v.text = number_;
    }
    return v;
  }

  [[noreturn]] void wrong_kind(std::string_view got, std::string_view expected) const {
    s_.fail(name(), "expected " + std::string(expected) + ", got " + std::string(got) +
                        (s_.declared ? " (the declared schema's type; docs/tables.md)" : " (cannot widen the column)"));
  }

  // The dotted name of the field being read.
  [[nodiscard]] std::string name() const { return join(frames_.empty() ? "" : frames_.back().prefix, key_); }

  void start_capture(Target target, int column) {
    target_ = target;
    target_column_ = column;
    capture_.reset(arena_);
    capturing_ = 1;
  }

  void captured() {
    json::value v = capture_.release();
    if (target_ == Target::column) {
      s_.append(target_column_, v, frames_.back().prefix, key_);
    } else if (target_ == Target::extra) {
      s_.extra[name()] = std::move(v);
    }
    target_ = Target::none;
  }

  void begin_container(bool object) {
    if (ignore_ > 0) {
      ++ignore_;
      return;
    }
    if (capturing_ > 0) {
      ++capturing_;
      return;
    }
    if (depth_ == 0) {
      if (!object) s_.fail("", "the page is not a JSON object");
      depth_ = 1;
      return;
    }
    if (depth_ == 1) {  // a value of the page
      if (next_is_records_) {
        if (object) s_.fail("", "the page has no \"" + std::string(resource_) + "\" array of records");
        if (found_) s_.fail("", "the page has two \"" + std::string(resource_) + "\" arrays");
        found_ = true;
        in_records_ = true;
        depth_ = 2;
        next_is_records_ = false;
      } else {
        ignore_ = 1;
      }
      return;
    }
    if (depth_ == 2) {
      if (!object) s_.fail("", "the record is an array, not an object");
      begin_record();
      depth_ = 3;
      return;
    }
    field_container(object);
  }

  void begin_record() {
    s_.record = rows_;
    s_.extra.clear();
    frames_.clear();
    frames_.push_back({0, std::string(), 0});
  }

  void end_record() {
    ++rows_;
    RecordBatch& batch = *s_.batch;
    if (s_.extra_index >= 0 && !s_.extra.empty()) {
      ColumnData& c = batch.columns[static_cast<std::size_t>(s_.extra_index)];
      c.chars += json::serialize(s_.extra);
      c.offsets.push_back(static_cast<std::int32_t>(c.chars.size()));
      push_validity(c, true);
      ++c.length;
    }
    const auto row_end = static_cast<std::int64_t>(rows_);
    for (auto& c : batch.columns) {
      if (c.length < row_end) push_null(c);
    }
    frames_.clear();
  }

  // An object or array as the value of field key_ of the record (depth_ >= 3).
  void field_container(bool object) {
    Entry* e = entry_;
    const std::string_view got = object ? "an object" : "an array";
    if (e == nullptr) {  // declared schema, unknown field
      if (s_.keep_extra) {
        start_capture(Target::extra, -1);
      } else {
        ignore_ = 1;
      }
      return;
    }
    if (e->skip) {
      ignore_ = 1;
      return;
    }
    if (e->column >= 0) {
      const ColumnType type = s_.batch->columns[static_cast<std::size_t>(e->column)].type;
      if (type != ColumnType::json) wrong_kind(got, column_type_name(type));
      start_capture(Target::column, e->column);
      return;
    }
    if (e->node >= 0) {
      if (!object) {
        s_.fail(name(), "expected an object, got an array" +
                            std::string(s_.declared ? " (the declared schema's type; docs/tables.md)" : " (cannot widen)"));
      }
      push_frame(e->node);
      return;
    }
    // Inferred: a field seen only as null so far takes the shape of its first value.
    e->null_only = false;
    if (object) {
      e->node = s_.add_node();
      push_frame(e->node);
      return;
    }
    const std::string field = name();
    if (!s_.selected(field)) {
      e->skip = true;
      ignore_ = 1;
      return;
    }
    e->column = s_.add_column(field, ColumnType::json, static_cast<std::int64_t>(s_.record));
    start_capture(Target::column, e->column);
  }

  void push_frame(int node) {
    std::string prefix = name();
    frames_.push_back({node, std::move(prefix), 0});
    ++depth_;
  }

  void scalar(const Scalar& v) {
    if (depth_ == 1) {
      if (next_is_records_) s_.fail("", "the page has no \"" + std::string(resource_) + "\" array of records");
      number_.clear();
      return;
    }
    if (depth_ == 2) s_.fail("", "the record is " + std::string(kind_name(v)) + ", not an object");
    if (depth_ == 0) s_.fail("", "the page is not a JSON object");
    field_scalar(v);
    number_.clear();
  }

  void field_scalar(const Scalar& v) {
    Entry* e = entry_;
    const std::string& prefix = frames_.back().prefix;
    if (e == nullptr) {
      if (s_.keep_extra) s_.extra[name()] = v.value();
      return;
    }
    if (e->skip) return;
    if (e->column >= 0) {
      s_.append(e->column, v, prefix, key_);
      return;
    }
    if (e->node >= 0) {
      if (!v.is_null()) {
        s_.fail(name(), "expected an object, got " + std::string(kind_name(v)) +
                            (s_.declared ? " (the declared schema's type; docs/tables.md)" : " (cannot widen)"));
      }
      return;
    }
    if (v.is_null()) return;  // inferred, only null so far
    e->null_only = false;
    const std::string field = name();
    if (!s_.selected(field)) {
      e->skip = true;
      return;
    }
    e->column = s_.add_column(field, TableBuilder::State::inferred_type(v), static_cast<std::int64_t>(s_.record));
    s_.append(e->column, v, prefix, key_);
  }

  TableBuilder::State& s_;
  std::string_view resource_;
  json::storage_ptr arena_;
  json::value_stack capture_;
  int depth_ = 0;      // containers open, outside ignored and captured values
  int ignore_ = 0;     // > 0: inside a value whose contents do not matter
  int capturing_ = 0;  // > 0: inside a value being captured
  Target target_ = Target::none;
  int target_column_ = -1;
  bool next_is_records_ = false;
  bool in_records_ = false;
  bool found_ = false;
  std::size_t rows_ = 0;
  std::vector<Frame> frames_;
  Entry* entry_ = nullptr;
  std::string key_;
  bool partial_key_ = false;
  std::string text_;
  bool partial_text_ = false;
  std::string number_;
};

}  // namespace

TableBuilder::TableBuilder(std::string_view relative_path, TableOptions options) : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.path = std::string(relative_path);
  s.selection = std::move(options.columns);
  s.nodes.emplace_back();
  auto declared = declared_schema(relative_path);
  s.declared = declared.has_value();
  if (!s.declared) return;
  std::vector<bool> chosen(declared->size(), s.selection.empty());
  std::vector<std::size_t> order;
  if (s.selection.empty()) {
    for (std::size_t i = 0; i < declared->size(); ++i) order.push_back(i);
    s.keep_extra = true;
  } else {
    for (const auto& wanted : s.selection) {
      bool any = false;
      if (wanted == extra_column) {
        s.keep_extra = any = true;
      }
      for (std::size_t i = 0; i < declared->size(); ++i) {
        const auto& name = (*declared)[i].name;
        if (name == wanted || (name.size() > wanted.size() && name.starts_with(wanted) && name[wanted.size()] == '.')) {
          any = true;
          if (!chosen[i]) order.push_back(i);
          chosen[i] = true;
        }
      }
      if (!any) {
        std::string names;
        for (const auto& c : *declared) names += (names.empty() ? "" : ", ") + c.name;
        throw error(errc::validation_failed, "columns: \"" + wanted + "\" is not a column of " + s.path +
                                                 "; its columns are: " + names + ", " + std::string(extra_column));
      }
    }
  }
  for (std::size_t i : order) s.specs.push_back((*declared)[i]);
  std::vector<int> index(declared->size(), -1);
  for (std::size_t k = 0; k < order.size(); ++k) index[order[k]] = static_cast<int>(k);
  for (std::size_t i = 0; i < declared->size(); ++i) {
    Entry& e = s.entry_for((*declared)[i].name);
    e.column = index[i];
    e.skip = index[i] < 0;
  }
  if (s.keep_extra) s.specs.push_back({std::string(extra_column), ColumnType::json});
}

TableBuilder::~TableBuilder() = default;
TableBuilder::TableBuilder(TableBuilder&&) noexcept = default;
TableBuilder& TableBuilder::operator=(TableBuilder&&) noexcept = default;

bool TableBuilder::declared() const noexcept { return state_->declared; }

std::vector<ColumnSpec> TableBuilder::schema() const {
  const State& s = *state_;
  std::vector<ColumnSpec> out = s.specs;
  if (s.declared) return out;
  std::vector<std::string> nulls;
  s.null_only_names(0, "", nulls);
  for (auto& n : nulls) out.push_back({std::move(n), ColumnType::null});
  for (const auto& wanted : s.selection) {
    const bool present = std::any_of(out.begin(), out.end(), [&](const ColumnSpec& c) {
      return c.name == wanted || (c.name.size() > wanted.size() && c.name.starts_with(wanted) && c.name[wanted.size()] == '.');
    });
    if (!present) out.push_back({wanted, ColumnType::null});
  }
  return out;
}

RecordBatch TableBuilder::build(std::string_view body, std::string_view resource, std::uint64_t page_number) {
  State& s = *state_;
  s.page = page_number;
  s.record = static_cast<std::size_t>(-1);
  RecordBatch batch;
  s.batch = &batch;
  struct Reset {
    State& s;
    ~Reset() { s.batch = nullptr; }
  } reset{s};
  batch.columns.resize(s.specs.size());
  // Sized for as many records as the previous page had (the page's count is known at its end).
  for (std::size_t i = 0; i < s.specs.size(); ++i) init_column(batch.columns[i], s.specs[i].type, s.last_rows);
  s.extra_index = s.declared && s.keep_extra ? static_cast<int>(s.specs.size() - 1) : -1;

  // Values kept as JSON text are captured in an arena whose memory is kept from page to page.
  if (!s.arena_memory) {
    s.arena_size = 64 * 1024;
    s.arena_memory = std::make_unique<unsigned char[]>(s.arena_size);
  }
  json::monotonic_resource arena(s.arena_memory.get(), s.arena_size);
  json::parse_options options;
  options.max_depth = 64;
  json::basic_parser<PageReader> parser(options, s, resource, json::storage_ptr(&arena));
  boost::system::error_code ec;
  const std::size_t used = parser.write_some(false, body.data(), body.size(), ec);
  if (!ec && (used != body.size() || !parser.done())) ec = json::error::extra_data;
  if (ec) s.fail("", "the page is not valid JSON (" + ec.message() + "; cut off, or a proxy's page?); try again");
  if (!parser.handler().found_records()) s.fail("", "the page has no \"" + std::string(resource) + "\" array of records");
  batch.rows = static_cast<std::int64_t>(parser.handler().rows());
  s.last_rows = static_cast<std::size_t>(batch.rows);
  batch.schema = s.specs;
  return batch;
}

void TableBuilder::conform(RecordBatch& batch) const {
  const auto target = schema();
  std::vector<ColumnData> columns;
  columns.reserve(target.size());
  for (const auto& spec : target) {
    auto it = std::find_if(batch.schema.begin(), batch.schema.end(), [&](const ColumnSpec& c) { return c.name == spec.name; });
    if (it == batch.schema.end()) {
      ColumnData c;
      init_column(c, spec.type, static_cast<std::size_t>(batch.rows));
      for (std::int64_t i = 0; i < batch.rows; ++i) push_null(c);
      columns.push_back(std::move(c));
      continue;
    }
    ColumnData c = std::move(batch.columns[static_cast<std::size_t>(it - batch.schema.begin())]);
    if (c.type == ColumnType::int64 && spec.type == ColumnType::float64) widen_to_float(c);
    columns.push_back(std::move(c));
  }
  batch.columns = std::move(columns);
  batch.schema = target;
}

}  // namespace harvest_connect::harvest
