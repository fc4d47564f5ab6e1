#pragma once
// libpq, loaded at run time (dlopen) the first time a PostgreSQL store is opened: SQLite
// users and the self-contained wheel need nothing new, and a missing libpq is one clear
// error naming the package to install.
//
// The part of libpq's C interface the store uses is declared here, from the documentation
// (the PostgreSQL manual's chapter "libpq — C Library") and libpq.so.5's stable ABI, so
// that building needs no libpq-dev: `pip install .` asks for no more than a compiler and the
// OpenSSL and SQLite headers. tests/cpp/test_store_libpq_abi.cpp checks every declaration against the
// real libpq-fe.h (installed with the test dependencies).

// libpq's opaque connection and result, under the names libpq-fe.h gives the structs, so
// that the same types are meant when both are seen (the ABI test).
struct pg_conn;
struct pg_result;

namespace harvest_connect::store::detail {

namespace pq {

using PGconn = ::pg_conn;
using PGresult = ::pg_result;
using Oid = unsigned int;

// Enumerators used (values of libpq-fe.h's C enums, returned as int by the ABI).
inline constexpr int CONNECTION_OK = 0;     // ConnStatusType
inline constexpr int PGRES_COMMAND_OK = 1;  // ExecStatusType
inline constexpr int PGRES_TUPLES_OK = 2;
inline constexpr int PQTRANS_IDLE = 0;      // PGTransactionStatusType
// PQresultErrorField's field codes (postgres_ext.h: PG_DIAG_SQLSTATE, PG_DIAG_MESSAGE_PRIMARY).
inline constexpr int diag_sqlstate = 'C';
inline constexpr int diag_message_primary = 'M';

using NoticeProcessor = void (*)(void* arg, const char* message);

extern "C" {
using ConnectdbParams = PGconn* (*)(const char* const* keywords, const char* const* values, int expand_dbname);
using Status = int (*)(const PGconn*);  // ConnStatusType
using ErrorMessage = char* (*)(const PGconn*);
using Finish = void (*)(PGconn*);
using Reset = void (*)(PGconn*);
using Exec = PGresult* (*)(PGconn*, const char* query);
using ExecParams = PGresult* (*)(PGconn*, const char* command, int n_params, const Oid* param_types,
                                 const char* const* param_values, const int* param_lengths,
                                 const int* param_formats, int result_format);
using ResultStatus = int (*)(const PGresult*);  // ExecStatusType
using ResultErrorField = char* (*)(const PGresult*, int field_code);
using ResultErrorMessage = char* (*)(const PGresult*);
using Clear = void (*)(PGresult*);
using Ntuples = int (*)(const PGresult*);
using Nfields = int (*)(const PGresult*);
using Getisnull = int (*)(const PGresult*, int tup_num, int field_num);
using Getvalue = char* (*)(const PGresult*, int tup_num, int field_num);
using Getlength = int (*)(const PGresult*, int tup_num, int field_num);
using Ftype = Oid (*)(const PGresult*, int field_num);
using CmdTuples = char* (*)(PGresult*);
using ConnText = char* (*)(const PGconn*);  // PQhost, PQport, PQdb
using TransactionStatus = int (*)(const PGconn*);  // PGTransactionStatusType
using SetNoticeProcessor = NoticeProcessor (*)(PGconn*, NoticeProcessor, void* arg);
using LibVersion = int (*)();  // e.g. 150004 for libpq 15.4
}

}  // namespace pq

// A libpq to load instead of the loader's libpq.so.5 (libpq.5.dylib on macOS).
inline constexpr const char* libpq_env_var = "HARVEST_CONNECT_LIBPQ";

struct Libpq {
  pq::ConnectdbParams connectdb_params;
  pq::Status status;
  pq::ErrorMessage error_message;
  pq::Finish finish;
  pq::Reset reset;
  pq::Exec exec;
  pq::ExecParams exec_params;
  pq::ResultStatus result_status;
  pq::ResultErrorField result_error_field;
  pq::ResultErrorMessage result_error_message;
  pq::Clear clear;
  pq::Ntuples ntuples;
  pq::Nfields nfields;
  pq::Getisnull getisnull;
  pq::Getvalue getvalue;
  pq::Getlength getlength;
  pq::Ftype ftype;
  pq::CmdTuples cmd_tuples;
  pq::ConnText host;
  pq::ConnText port;
  pq::ConnText db;
  pq::TransactionStatus transaction_status;
  pq::SetNoticeProcessor set_notice_processor;
  pq::LibVersion lib_version;
};

// The loaded library; throws errc::store_error naming the package when it is missing.
[[nodiscard]] const Libpq& libpq();

}  // namespace harvest_connect::store::detail
