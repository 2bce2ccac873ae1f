// Prepared statements on the connection SOCI holds.
#include "store/prepared.h"

#include <soci/postgresql/soci-postgresql.h>

#include <cstdint>
#include <vector>

#include "errors/errors.h"
#include "metrics/metrics.h"
#include "store/database.h"

namespace webpods::store {

namespace {

// The error of a failed libpq call as SOCI would raise it, with its SQLSTATE.
[[noreturn]] void fail(PGconn* connection, const PGresult* result) {
    const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    const char* message =
        result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(connection);
    // A result-less failure is a lost connection (libpq reports no SQLSTATE for it).
    throw soci::postgresql_soci_error(message != nullptr ? message : "libpq failure",
                                      state != nullptr ? state : "08006");
}

bool succeeded(const PGresult* result) {
    const ExecStatusType status = PQresultStatus(result);
    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_SINGLE_TUPLE;
}

using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

PGconn* connection_of(Tx& tx) {
    PGconn* connection = native_connection(tx.sql());
    if (connection == nullptr) {
        throw soci::postgresql_soci_error("not connected", "08003");
    }
    return connection;
}

// Prepares `statement` on the connection unless it already is.
void ensure_prepared(Tx& tx, PGconn* connection, const Prepared& statement) {
    if (tx.prepared().has(connection, statement.name)) {
        return;
    }
    const Result result(PQprepare(connection, statement.name, statement.text, 0, nullptr),
                        &PQclear);
    if (!result || !succeeded(result.get())) {
        fail(connection, result.get());
    }
    tx.prepared().add(statement.name);
}

// Sends the statement (prepared first if needed); results are then read with PQgetResult.
void send(Tx& tx, PGconn* connection, const Prepared& statement, const Wire& wire) {
    ensure_prepared(tx, connection, statement);
    metrics::count_statement(metrics::Target::kPrimary);
    if (PQsendQueryPrepared(connection,
                            statement.name,
                            static_cast<int>(wire.values.size()),
                            wire.values.data(),
                            wire.lengths.data(),
                            wire.formats.data(),
                            kBinaryFormat) == 0) {
        fail(connection, nullptr);
    }
}

// Reads and drops what is left of the answer, so the connection is ready for the next one.
void drain(PGconn* connection) {
    while (PGresult* rest = PQgetResult(connection)) {
        PQclear(rest);
    }
}

}  // namespace

Wire::Wire(std::initializer_list<Param> params) {
    values.reserve(params.size());
    lengths.reserve(params.size());
    formats.reserve(params.size());
    for (const Param& param : params) {
        // An empty string_view may have no data(): it is still '', not NULL.
        values.push_back(param.is_null()                   ? nullptr
                         : param.value().data() == nullptr ? ""
                                                           : param.value().data());
        lengths.push_back(static_cast<int>(param.value().size()));
        formats.push_back(param.is_binary() ? kBinaryFormat : 0);
    }
}

bool PreparedNames::has(PGconn* connection, const char* name) {
    const int backend_pid = PQbackendPID(connection);
    if (connection != connection_ || backend_pid != backend_pid_) {
        connection_ = connection;
        backend_pid_ = backend_pid;
        names_.clear();
    }
    return names_.count(name) != 0;
}

int Rows::column(const char* name) const {
    const int number = PQfnumber(result_.get(), name);
    if (number < 0) {
        throw errors::internal_error(std::string("statement has no column ") + name);
    }
    return number;
}

bool Rows::is_null(int row, int column) const {
    return PQgetisnull(result_.get(), row, column) != 0;
}

std::string_view Rows::bytes(int row, int column) const {
    return {PQgetvalue(result_.get(), row, column),
            static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
}

long long Rows::integer(int row, int column) const {
    const std::string_view value = bytes(row, column);
    if (value.size() != 2 && value.size() != 4 && value.size() != 8) {
        throw errors::internal_error("column is not an integer");
    }
    std::uint64_t bits = 0;
    for (const char byte : value) {  // network byte order
        bits = (bits << 8U) | static_cast<unsigned char>(byte);
    }
    const unsigned width = 8U * static_cast<unsigned>(value.size());
    if (width < 64U && (bits >> (width - 1U)) != 0U) {
        bits |= ~std::uint64_t{0} << width;  // sign-extend a negative int2/int4
    }
    return static_cast<long long>(bits);
}

Rows execute(Tx& tx, const Prepared& statement, std::initializer_list<Param> params) {
    PGconn* connection = connection_of(tx);
    const Wire wire(params);
    send(tx, connection, statement, wire);
    PGresult* last = nullptr;
    while (PGresult* next = PQgetResult(connection)) {
        PQclear(last);
        last = next;
        if (!succeeded(last)) {
            const Result failed(last, &PQclear);
            drain(connection);
            fail(connection, failed.get());
        }
    }
    if (last == nullptr) {
        fail(connection, nullptr);
    }
    return Rows(last);
}

void execute_each(Tx& tx,
                  const Prepared& statement,
                  std::initializer_list<Param> params,
                  const std::function<bool(const Rows&)>& visit) {
    PGconn* connection = connection_of(tx);
    const Wire wire(params);
    send(tx, connection, statement, wire);
    PQsetSingleRowMode(connection);
    bool wanted = true;
    while (PGresult* next = PQgetResult(connection)) {
        const Rows rows(next);
        const ExecStatusType status = PQresultStatus(next);
        if (status == PGRES_SINGLE_TUPLE) {
            if (wanted && !visit(rows)) {
                wanted = false;  // go on reading: the connection must reach the answer's end
            }
        } else if (status != PGRES_TUPLES_OK) {
            drain(connection);
            fail(connection, next);
        }
    }
}

}  // namespace webpods::store
