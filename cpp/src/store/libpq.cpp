#include "store/detail/libpq.hpp"

#include <dlfcn.h>

#include <cstdlib>

#include <mutex>
#include <optional>
#include <string>

#include "harvest_connect/error.hpp"

namespace harvest_connect::store::detail {
namespace {

#ifdef __APPLE__
constexpr const char* library_names[] = {"libpq.5.dylib", "/opt/homebrew/opt/libpq/lib/libpq.5.dylib",
                                         "/usr/local/opt/libpq/lib/libpq.5.dylib"};
#else
constexpr const char* library_names[] = {"libpq.so.5"};
#endif

constexpr const char* missing =
    "a PostgreSQL store needs libpq, the PostgreSQL client library, which was not found: install it "
    "(Debian/Ubuntu: apt-get install libpq5; Fedora/RHEL: dnf install libpq; macOS: brew install libpq), or name "
    "its file in HARVEST_CONNECT_LIBPQ";

template <class F>
void load(void* lib, F& out, const char* name) {
  out = reinterpret_cast<F>(::dlsym(lib, name));
  if (!out)
    throw error(errc::store_error, std::string("the libpq found lacks ") + name +
                                       "; install a current libpq (PostgreSQL 10 or later)");
}

Libpq load_all() {
  void* lib = nullptr;
  // HARVEST_CONNECT_LIBPQ: a libpq outside the loader's search path (the only one tried).
  if (const char* chosen = std::getenv(libpq_env_var); chosen && *chosen) {
    lib = ::dlopen(chosen, RTLD_NOW | RTLD_LOCAL);
  } else {
    for (const char* name : library_names)
      if ((lib = ::dlopen(name, RTLD_NOW | RTLD_LOCAL)) != nullptr) break;
  }
  if (!lib) throw error(errc::store_error, missing);
  // Never closed: libpq keeps process-wide state (SSL) once used.
  Libpq l{};
  load(lib, l.connectdb_params, "PQconnectdbParams");
  load(lib, l.status, "PQstatus");
  load(lib, l.error_message, "PQerrorMessage");
  load(lib, l.finish, "PQfinish");
  load(lib, l.reset, "PQreset");
  load(lib, l.exec, "PQexec");
  load(lib, l.exec_params, "PQexecParams");
  load(lib, l.result_status, "PQresultStatus");
  load(lib, l.result_error_field, "PQresultErrorField");
  load(lib, l.result_error_message, "PQresultErrorMessage");
  load(lib, l.clear, "PQclear");
  load(lib, l.ntuples, "PQntuples");
  load(lib, l.nfields, "PQnfields");
  load(lib, l.getisnull, "PQgetisnull");
  load(lib, l.getvalue, "PQgetvalue");
  load(lib, l.getlength, "PQgetlength");
  load(lib, l.ftype, "PQftype");
  load(lib, l.cmd_tuples, "PQcmdTuples");
  load(lib, l.host, "PQhost");
  load(lib, l.port, "PQport");
  load(lib, l.db, "PQdb");
  load(lib, l.transaction_status, "PQtransactionStatus");
  load(lib, l.set_notice_processor, "PQsetNoticeProcessor");
  load(lib, l.lib_version, "PQlibVersion");
  return l;
}

}  // namespace

const Libpq& libpq() {
  // Retried on every call until it loads (the user may install libpq while a notebook runs).
  static std::mutex mu;
  static std::optional<Libpq> loaded;
  std::lock_guard lock(mu);
  if (!loaded) loaded = load_all();
  return *loaded;
}

}  // namespace harvest_connect::store::detail
