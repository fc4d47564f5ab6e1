#include "store/detail/table_copy.hpp"

// Written only against store/detail's Database/Statement and portable SQL (`?` placeholders,
// no backend-specific statement), so it copies between any two backends.

#include <algorithm>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "harvest_connect/error.hpp"

namespace harvest_connect::store::detail {
namespace {

// One column's value as read: text and links (a uid) in `text`, integers in `integer`,
// sealed values and other blobs in `blob`. Bytes only: nothing is decrypted.
struct Value {
  bool null = true;
  std::string text;
  std::int64_t integer = 0;
  std::vector<unsigned char> blob;
};
using Row = std::vector<Value>;

std::string select_of(const TableLayout& t) {
  std::string sql = "SELECT ";
  bool first = true;
  for (const ColumnLayout& c : t.columns) {
    if (!first) sql += ", ";
    first = false;
    if (c.kind == ColumnKind::link)
      sql += std::string("(SELECT p.uid FROM ") + c.links_to + " p WHERE p.id = t." + c.name + ")";
    else
      sql += std::string("t.") + c.name;
  }
  return sql + " FROM " + t.table + " t";
}

std::string insert_of(const TableLayout& t) {
  std::string names, values;
  for (const ColumnLayout& c : t.columns) {
    if (!names.empty()) {
      names += ", ";
      values += ", ";
    }
    names += c.name;
    values += c.kind == ColumnKind::link ? std::string("(SELECT p.id FROM ") + c.links_to + " p WHERE p.uid = ?)" : "?";
  }
  return std::string("INSERT INTO ") + t.table + "(" + names + ") VALUES(" + values + ")";
}

std::vector<Row> read_rows(Database& db, const TableLayout& t) {
  std::vector<Row> rows;
  Statement s = db.prepare(select_of(t));
  while (s.step()) {
    Row row(t.columns.size());
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
      const int col = static_cast<int>(i);
      Value& v = row[i];
      v.null = s.is_null(col);
      if (v.null) continue;
      switch (t.columns[i].kind) {
        case ColumnKind::text:
        case ColumnKind::link:
          v.text = s.text(col);
          break;
        case ColumnKind::integer:
          v.integer = s.int64(col);
          break;
        case ColumnKind::blob:
          v.blob = s.blob(col);
          break;
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

void insert_row(Database& db, const TableLayout& t, const std::string& sql, const Row& row) {
  Statement s = db.prepare(sql);
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    const int param = static_cast<int>(i) + 1;
    const Value& v = row[i];
    if (v.null) {
      s.bind_null(param);
      continue;
    }
    switch (t.columns[i].kind) {
      case ColumnKind::text:
      case ColumnKind::link:
        s.bind(param, std::string_view(v.text));
        break;
      case ColumnKind::integer:
        s.bind(param, v.integer);
        break;
      case ColumnKind::blob:
        s.bind_blob(param, v.blob);
        break;
    }
  }
  s.run();
}

// Every column of a row, kind-tagged and length-prefixed: two rows compare equal exactly when
// every value (and every link's uid) is the same.
std::string fingerprint(const TableLayout& t, const Row& row) {
  std::string out;
  auto put = [&](char tag, std::string_view bytes) {
    out += tag;
    out += std::to_string(bytes.size());
    out += ':';
    out += bytes;
  };
  for (std::size_t i = 0; i < row.size(); ++i) {
    const Value& v = row[i];
    if (v.null) {
      put('n', "");
      continue;
    }
    switch (t.columns[i].kind) {
      case ColumnKind::text:
      case ColumnKind::link:
        put('t', v.text);
        break;
      case ColumnKind::integer:
        put('i', std::to_string(v.integer));
        break;
      case ColumnKind::blob:
        put('b', std::string_view(reinterpret_cast<const char*>(v.blob.data()), v.blob.size()));
        break;
    }
  }
  return out;
}

// Every row's fingerprint, sorted, leaving out rows whose first column is in `kept`.
std::vector<std::string> fingerprints(const TableLayout& t, const std::vector<Row>& rows,
                                      const std::set<std::string>& kept) {
  std::vector<std::string> out;
  for (const Row& r : rows)
    if (kept.empty() || r.front().null || !kept.count(r.front().text)) out.push_back(fingerprint(t, r));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::int64_t copy_table(Database& from, Database& to, const TableLayout& t, const std::set<std::string>& kept) {
  const std::vector<Row> rows = read_rows(from, t);
  const std::string sql = insert_of(t);
  for (const Row& r : rows)
    if (kept.empty() || r.front().null || !kept.count(r.front().text)) insert_row(to, t, sql, r);
  const auto want = fingerprints(t, rows, kept);
  const auto got = fingerprints(t, read_rows(to, t), kept);
  if (got.size() != want.size())
    throw error(errc::internal_error, std::string("copying ") + t.table + ": " + std::to_string(want.size()) +
                                          " rows in the source, " + std::to_string(got.size()) + " in the copy");
  if (got != want)
    throw error(errc::internal_error, std::string("copying ") + t.table + ": a row differs from the source's");
  return static_cast<std::int64_t>(want.size());
}

std::set<std::string> first_column(Database& db, const TableLayout& t) {
  std::set<std::string> out;
  for (const Row& r : read_rows(db, t))
    if (!r.front().null) out.insert(r.front().text);
  return out;
}

}  // namespace harvest_connect::store::detail
