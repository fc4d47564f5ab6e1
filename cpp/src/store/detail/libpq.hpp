#pragma once
// libpq, loaded at run time (dlopen) the first time a PostgreSQL store is opened: SQLite
// users and the self-contained wheel need nothing new, and a missing libpq is one clear
// error naming the package to install. The types come from libpq-fe.h at build time.

#include <libpq-fe.h>

namespace harvest_connect::store::detail {

// A libpq to load instead of the loader's libpq.so.5 (libpq.5.dylib on macOS).
inline constexpr const char* libpq_env_var = "HARVEST_CONNECT_LIBPQ";

struct Libpq {
  decltype(&::PQconnectdbParams) connectdb_params;
  decltype(&::PQstatus) status;
  decltype(&::PQerrorMessage) error_message;
  decltype(&::PQfinish) finish;
  decltype(&::PQreset) reset;
  decltype(&::PQexec) exec;
  decltype(&::PQexecParams) exec_params;
  decltype(&::PQresultStatus) result_status;
  decltype(&::PQresultErrorField) result_error_field;
  decltype(&::PQresultErrorMessage) result_error_message;
  decltype(&::PQclear) clear;
  decltype(&::PQntuples) ntuples;
  decltype(&::PQnfields) nfields;
  decltype(&::PQgetisnull) getisnull;
  decltype(&::PQgetvalue) getvalue;
  decltype(&::PQgetlength) getlength;
  decltype(&::PQftype) ftype;
  decltype(&::PQcmdTuples) cmd_tuples;
  decltype(&::PQhost) host;
  decltype(&::PQport) port;
  decltype(&::PQdb) db;
  decltype(&::PQtransactionStatus) transaction_status;
  decltype(&::PQsetNoticeProcessor) set_notice_processor;
};

// The loaded library; throws errc::store_error naming the package when it is missing.
[[nodiscard]] const Libpq& libpq();

}  // namespace harvest_connect::store::detail
