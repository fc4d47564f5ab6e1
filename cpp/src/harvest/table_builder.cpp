// Record batches from list pages: each page's JSON is parsed once with Boost.JSON into a
// per-page arena, then every record's fields are walked once and appended to their columns
// through a tree of field names (one hash lookup per field, nested objects as sub-trees).
#include "harvest_connect/harvest/table_builder.hpp"

#include <algorithm>
#include <deque>
#include <limits>
#include <unordered_map>

#include <boost/json.hpp>

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

  void append(int column, const json::value& v, std::string_view prefix, std::string_view key) {
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
          c.chars += json::serialize(v);  // e.g. an external id sent as a number
        } else {
          wrong("a string");
        }
        break;
      case ColumnType::json: c.chars += json::serialize(v); break;
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

  static ColumnType inferred_type(const json::value& v) {
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

  void record_fields(const json::object& object, int node, std::string_view prefix) {
    std::size_t position = 0;
    for (const auto& kv : object) {
      const std::string_view key(kv.key().data(), kv.key().size());
      const json::value& v = kv.value();
      Node& here = nodes[static_cast<std::size_t>(node)];
      auto& fields = here.fields;
      const std::size_t at = position++;
      Entry* cached = nullptr;
      if (at < here.by_position.size() && here.by_position[at].first == key) cached = here.by_position[at].second;
      if (cached == nullptr) {
        auto it = fields.find(key);
        if (it == fields.end()) {
          if (declared) {
            if (keep_extra) extra[join(prefix, key)] = v;
            continue;
          }
          it = fields.try_emplace(std::string(key)).first;
          here.order.emplace_back(key);
          it->second.null_only = true;
        }
        cached = &it->second;
        if (here.by_position.size() <= at) here.by_position.resize(at + 1);
        here.by_position[at] = {std::string_view(it->first), cached};  // map keys and entries never move
      }
      Entry& e = *cached;
      if (e.skip) continue;
      if (e.column >= 0) {
        if (v.is_object() && batch->columns[static_cast<std::size_t>(e.column)].type != ColumnType::json) {
          fail(join(prefix, key), "expected " + std::string(column_type_name(specs[static_cast<std::size_t>(e.column)].type)) +
                                      ", got an object" + (declared ? "" : " (cannot widen the column)"));
        }
        append(e.column, v, prefix, key);
        continue;
      }
      if (e.node >= 0) {
        if (v.is_object()) {
          record_fields(v.get_object(), e.node, join(prefix, key));
        } else if (!v.is_null()) {
          fail(join(prefix, key), "expected an object, got " + std::string(kind_name(v)) +
                                      (declared ? " (the declared schema's type; docs/tables.md)" : " (cannot widen)"));
        }
        continue;
      }
      // Inferred: a field seen only as null so far takes the type of its first value.
      if (v.is_null()) continue;
      const std::string name = join(prefix, key);
      if (v.is_object()) {
        const int child = add_node();
        e.node = child;  // map entries and deque nodes keep their address as others are added
        e.null_only = false;
        record_fields(v.get_object(), child, name);
        continue;
      }
      e.null_only = false;
      if (!selected(name)) {
        e.skip = true;
        continue;
      }
      e.column = add_column(name, inferred_type(v), static_cast<std::int64_t>(record));
      append(e.column, v, prefix, key);
    }
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
  // The parsed page lives in an arena whose memory is kept from page to page: fresh memory
  // for every page cost a quarter of the parse (page faults, cold caches). A page whose tree
  // outgrows it continues in memory from the heap, released with the arena.
  const std::size_t wanted = body.size() * 6 + 4096;
  if (s.arena_size < wanted) {
    s.arena_memory.reset();
    s.arena_memory = std::make_unique<unsigned char[]>(wanted);
    s.arena_size = wanted;
  }
  json::monotonic_resource arena(s.arena_memory.get(), s.arena_size);
  json::parse_options options;
  options.max_depth = 64;
  boost::system::error_code ec;
  const json::value page = json::parse(json::string_view(body.data(), body.size()), ec, &arena, options);
  if (ec) s.fail("", "the page is not valid JSON (" + ec.message() + "; cut off, or a proxy's page?); try again");
  const json::object* object = page.if_object();
  const json::value* records = object != nullptr ? object->if_contains(json::string_view(resource.data(), resource.size())) : nullptr;
  if (records == nullptr || !records->is_array()) {
    s.fail("", "the page has no \"" + std::string(resource) + "\" array of records");
  }
  const json::array& rows = records->get_array();

  RecordBatch batch;
  s.batch = &batch;
  struct Reset {
    State& s;
    ~Reset() { s.batch = nullptr; }
  } reset{s};
  batch.columns.resize(s.specs.size());
  for (std::size_t i = 0; i < s.specs.size(); ++i) init_column(batch.columns[i], s.specs[i].type, rows.size());
  const int extra_index = s.declared && s.keep_extra ? static_cast<int>(s.specs.size() - 1) : -1;

  for (std::size_t r = 0; r < rows.size(); ++r) {
    s.record = r;
    const json::object* record = rows[r].if_object();
    if (record == nullptr) s.fail("", "the record is " + std::string(kind_name(rows[r])) + ", not an object");
    s.extra.clear();
    s.record_fields(*record, 0, "");
    if (extra_index >= 0 && !s.extra.empty()) {
      ColumnData& c = batch.columns[static_cast<std::size_t>(extra_index)];
      c.chars += json::serialize(s.extra);
      c.offsets.push_back(static_cast<std::int32_t>(c.chars.size()));
      push_validity(c, true);
      ++c.length;
    }
    const auto row_end = static_cast<std::int64_t>(r + 1);
    for (auto& c : batch.columns) {
      if (c.length < row_end) push_null(c);
    }
  }
  batch.rows = static_cast<std::int64_t>(rows.size());
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
