#include "harvest_connect/store/copy.hpp"

// Written only against store/detail's Database/Statement/Transaction and portable SQL (`?`
// placeholders, no backend-specific statement; the rows themselves: store/detail/table_copy.hpp),
// so it copies between any two backends the connection seam (store/detail/connect.hpp) reaches.

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "harvest_connect/error.hpp"
#include "harvest_connect/store/store.hpp"
#include "store/detail/connect.hpp"
#include "store/detail/migrations.hpp"
#include "store/detail/row_mac.hpp"
#include "store/detail/schema.hpp"
#include "store/detail/store_access.hpp"
#include "store/detail/table_copy.hpp"
#include "store/detail/table_layout.hpp"

namespace harvest_connect::store {
namespace {

using detail::Database;
using detail::Statement;
using detail::TableLayout;
using detail::Transaction;

bool is_authenticated(std::string_view table) {
  for (const auto& t : detail::authenticated_tables())
    if (table == t.table) return true;
  return false;
}

std::optional<std::string> meta_value(Database& db, std::string_view key) {
  Statement s = db.prepare("SELECT value FROM meta WHERE key = ?");
  s.bind(1, key);
  if (!s.step()) return std::nullopt;
  const auto b = s.blob(0);
  return std::string(b.begin(), b.end());
}

[[noreturn]] void copy_failed(const std::string& to, const std::string& what) {
  throw error(errc::internal_error, "the copy to " + to + " failed its check (" + what +
                                     "), so nothing was committed there; the source is unchanged. Report this as a "
                                     "bug in harvest-connect");
}

// Inside the target's transaction, after its schema was created: every table of the layout
// copied from one snapshot of the source, then compared with it row by row, and every row's
// authenticator checked in its new place. Throws errc::internal_error at the first difference.
void copy_tables(const detail::OpenStore& src, Database& target, CopyReport& report) {
  // Rows the new schema wrote into meta itself (a backend's own bookkeeping) stay as they are.
  const std::set<std::string> own_meta = detail::first_column(target, detail::table_layout("meta"));
  // The source is read in one snapshot (another process may write to it meanwhile).
  Transaction snapshot(src.db, Transaction::Kind::deferred);
  for (const TableLayout& t : detail::table_layouts()) {
    std::int64_t rows = 0;
    try {
      const bool meta = std::string_view(t.table) == "meta";
      rows = detail::copy_table(src.db, target, t, meta ? own_meta : std::set<std::string>{});
    } catch (const error& e) {
      if (e.kind() != errc::internal_error) throw;
      copy_failed(report.to, e.what());
    }
    // And every row authenticates in its new place (its id may differ; its links are uids).
    if (is_authenticated(t.table)) {
      const auto& at_table = detail::authenticated_table(t.table);
      Statement ids = target.prepare(std::string("SELECT id FROM ") + t.table);
      while (ids.step())
        if (!detail::row_is_authentic(target, at_table, src.row_key, src.store_id, ids.int64(0)))
          copy_failed(report.to, std::string("a row of ") + t.table + " does not authenticate");
    }
    report.tables.push_back({t.table, rows});
  }
  if (meta_value(target, "store_id") != meta_value(src.db, "store_id") ||
      meta_value(target, "wrapped_data_key") != meta_value(src.db, "wrapped_data_key"))
    copy_failed(report.to, "the store id or the wrapped data key differs");
}

}  // namespace

CopyReport copy_store(const OpenOptions& from, const OpenOptions& to) {
  CopyReport report;
  report.from = detail::location_of(from);
  report.to = detail::location_of(to);

  // 1. The source: it must exist and hold a store (a mistyped path is not created), open
  //    with the key, and verify clean, before anything is written anywhere.
  if (!detail::location_exists(from))
    throw error(errc::validation_failed, "there is no store at " + report.from + " to copy from; check the source");
  {
    Database probe;
    detail::connect(probe, from);
    if (detail::holds_no_store(probe))
      throw error(errc::validation_failed, report.from + " holds no harvest-connect store to copy; check the source");
  }
  Store source = Store::open(from);  // errc::key_mismatch for a wrong key
  const std::vector<Problem> problems = source.verify();
  if (!problems.empty()) {
    const Problem& p = problems.front();
    throw error(errc::decryption_failed,
                "the store " + report.from + " does not verify (" + std::to_string(problems.size()) +
                    " problem(s); the first: " + p.table + " '" + p.record + "' " + p.field + ": " + p.reason +
                    "), so it was not copied and nothing was written. Run `harvest-connect doctor` on it and "
                    "repair or restore it first");
  }
  report.store_id = source.store_id();
  report.key_id = source.key_id();
  report.schema_version = source.schema_version();
  const detail::OpenStore src = detail::open_store_of(source);

  // 2. The target: new or empty, else refused before anything is written to it. 3. One
  //    transaction on it: schema, every table, then the comparison. A database error on the
  //    way (disk full, permissions, a dropped connection) rolls the transaction back.
  try {
    Database target;
    detail::connect(target, to);
    auto refuse_target = [&] {
      throw error(errc::validation_failed, "the target " + report.to +
                                               " is not empty (it holds a store or other tables), so nothing was "
                                               "copied and it was left as it was; copy to a new path or an empty "
                                               "database");
    };
    if (!detail::holds_no_store(target)) refuse_target();
    detail::prepare_new_store(target);

    Transaction write(target, Transaction::Kind::immediate);
    if (!detail::holds_no_store(target)) refuse_target();  // another process may have created one meanwhile
    const int version = detail::create_schema(target);
    if (version != report.schema_version)
      throw error(errc::internal_error, "the source " + report.from + " has schema version " +
                                            std::to_string(report.schema_version) + " after opening, but a new "
                                            "store has " + std::to_string(version) + "; nothing was copied");
    copy_tables(src, target, report);
    write.commit();
    detail::after_open(to);
  } catch (const error& e) {
    if (e.kind() != errc::store_error) throw;
    throw error(errc::store_error, "copying the store to " + report.to + " failed (" + e.what() +
                                       "): nothing was committed there and the source is unchanged. Fix the "
                                       "cause (free space, permissions, the server) and copy again");
  }

  // 4. The copy opens with the source's key and verifies.
  OpenOptions check = to;
  check.key = from.key;
  check.passphrase = from.passphrase;
  check.key_file = from.key_file;
  Store copy = Store::open(check);
  if (copy.store_id() != report.store_id) copy_failed(report.to, "the copy opened with another store id");
  const std::vector<Problem> after = copy.verify();
  if (!after.empty())
    throw error(errc::decryption_failed, "the copy at " + report.to + " does not verify (" +
                                             std::to_string(after.size()) + " problem(s), the first: " +
                                             after.front().table + " '" + after.front().record + "' " +
                                             after.front().field + "); delete it and copy again; the source is "
                                                                   "unchanged");
  return report;
}

}  // namespace harvest_connect::store
