// The engine declares the part of libpq it loads (store/detail/libpq.hpp) instead of
// including libpq-fe.h, so that building needs no libpq-dev. Here both are seen at once:
// every declaration must be the header's, or this file does not compile.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <type_traits>

#include "store/detail/libpq.hpp"

namespace {

namespace pq = harvest_connect::store::detail::pq;

static_assert(std::is_same_v<pq::PGconn, ::PGconn>);
static_assert(std::is_same_v<pq::PGresult, ::PGresult>);
static_assert(std::is_same_v<pq::Oid, ::Oid>);

// The enumerators the engine compares with, and the enums' size (returned as int).
static_assert(pq::CONNECTION_OK == ::CONNECTION_OK);
static_assert(pq::PGRES_COMMAND_OK == ::PGRES_COMMAND_OK);
static_assert(pq::PGRES_TUPLES_OK == ::PGRES_TUPLES_OK);
static_assert(pq::PQTRANS_IDLE == ::PQTRANS_IDLE);
static_assert(pq::diag_sqlstate == PG_DIAG_SQLSTATE);
static_assert(pq::diag_message_primary == PG_DIAG_MESSAGE_PRIMARY);
static_assert(sizeof(::ConnStatusType) == sizeof(int) && sizeof(::ExecStatusType) == sizeof(int) &&
              sizeof(::PGTransactionStatusType) == sizeof(int));

// A function returning one of libpq's enums is declared returning int: the same but for it.
template <class Ours, class Theirs>
struct SameButEnumResult : std::false_type {};
template <class R, class E, class... A>
struct SameButEnumResult<R (*)(A...), E (*)(A...)> : std::bool_constant<std::is_same_v<R, int> && std::is_enum_v<E>> {};

static_assert(std::is_same_v<pq::ConnectdbParams, decltype(&::PQconnectdbParams)>);
static_assert(SameButEnumResult<pq::Status, decltype(&::PQstatus)>::value);
static_assert(std::is_same_v<pq::ErrorMessage, decltype(&::PQerrorMessage)>);
static_assert(std::is_same_v<pq::Finish, decltype(&::PQfinish)>);
static_assert(std::is_same_v<pq::Reset, decltype(&::PQreset)>);
static_assert(std::is_same_v<pq::Exec, decltype(&::PQexec)>);
static_assert(std::is_same_v<pq::ExecParams, decltype(&::PQexecParams)>);
static_assert(SameButEnumResult<pq::ResultStatus, decltype(&::PQresultStatus)>::value);
static_assert(std::is_same_v<pq::ResultErrorField, decltype(&::PQresultErrorField)>);
static_assert(std::is_same_v<pq::ResultErrorMessage, decltype(&::PQresultErrorMessage)>);
static_assert(std::is_same_v<pq::Clear, decltype(&::PQclear)>);
static_assert(std::is_same_v<pq::Ntuples, decltype(&::PQntuples)>);
static_assert(std::is_same_v<pq::Nfields, decltype(&::PQnfields)>);
static_assert(std::is_same_v<pq::Getisnull, decltype(&::PQgetisnull)>);
static_assert(std::is_same_v<pq::Getvalue, decltype(&::PQgetvalue)>);
static_assert(std::is_same_v<pq::Getlength, decltype(&::PQgetlength)>);
static_assert(std::is_same_v<pq::Ftype, decltype(&::PQftype)>);
static_assert(std::is_same_v<pq::CmdTuples, decltype(&::PQcmdTuples)>);
static_assert(std::is_same_v<pq::ConnText, decltype(&::PQhost)>);
static_assert(std::is_same_v<pq::ConnText, decltype(&::PQport)>);
static_assert(std::is_same_v<pq::ConnText, decltype(&::PQdb)>);
static_assert(SameButEnumResult<pq::TransactionStatus, decltype(&::PQtransactionStatus)>::value);
static_assert(std::is_same_v<pq::NoticeProcessor, ::PQnoticeProcessor>);
static_assert(std::is_same_v<pq::SetNoticeProcessor, decltype(&::PQsetNoticeProcessor)>);
static_assert(std::is_same_v<pq::LibVersion, decltype(&::PQlibVersion)>);

// The checks above run when this file compiles; the test names them in the test list.
TEST(StoreLibpqAbi, TheEnginesDeclarationsAreLibpqFeHs) { SUCCEED(); }

}  // namespace
