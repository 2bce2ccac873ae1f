// Database pool and SQLSTATE mapping.
#include "store/database.h"

#include <libpq-fe.h>
#include <poll.h>
#include <soci/postgresql/soci-postgresql.h>

#include <memory>
#include <string_view>

#include "http/error.h"

namespace webpods::store {

namespace {

// libpq keyword values are quoted so spaces and quotes in a password survive.
std::string quoted(const std::string& value) {
    std::string text = "'";
    for (const char c : value) {
        if (c == '\'' || c == '\\') {
            text.push_back('\\');
        }
        text.push_back(c);
    }
    return text + "'";
}

PGconn* native_connection(soci::session& sql) {
    // Only the PostgreSQL backend is ever opened; its type info is not exported by libsoci,
    // so the downcast is checked by name instead of dynamic_cast.
    soci::details::session_backend* backend = sql.get_backend();
    if (backend == nullptr || sql.get_backend_name() != "postgresql") {
        return nullptr;
    }
    return static_cast<soci::postgresql_session_backend*>(backend)->conn_;
}

bool is_connection_bad(soci::session& sql) {
    PGconn* connection = native_connection(sql);
    return connection == nullptr || PQstatus(connection) != CONNECTION_OK;
}

// An idle connection has nothing to read unless the server ended it (a restart sends a FATAL
// message, a crash an EOF). Checking costs one poll(2) and spares the next request the error.
bool was_closed_by_server(soci::session& sql) {
    PGconn* connection = native_connection(sql);
    if (connection == nullptr) {
        return true;
    }
    pollfd descriptor{PQsocket(connection), POLLIN, 0};
    return poll(&descriptor, 1, 0) != 0;
}

}  // namespace

std::string connection_string(const config::Database& database) {
    std::string text = "dbname=" + quoted(database.name) + " user=" + quoted(database.user);
    if (!database.host.empty()) {
        text += " host=" + quoted(database.host);
    }
    text += " port=" + std::to_string(database.port);
    if (!database.password.empty()) {
        text += " password=" + quoted(database.password);
    }
    return text + " connect_timeout=5 application_name=webpods";
}

Database::Database(std::string connection_string, std::size_t size)
    : pool_(size), connection_string_(std::move(connection_string)) {}

Database::Lease::Lease(Database& database)
    : database_(database),
      position_(database.pool_.lease()),
      session_(database.pool_.at(position_)) {
    // A session that was never opened, or whose server went away, is (re)opened here, so the
    // workers recover by themselves when PostgreSQL comes back.
    try {
        if (session_.get_backend() == nullptr) {
            session_.open(soci::postgresql, database_.connection_string_);
        } else if (is_connection_bad(session_) || was_closed_by_server(session_)) {
            session_.reconnect();
        }
    } catch (const soci::soci_error& error) {
        database_.pool_.give_back(position_);
        throw http::Error(http::ErrorKind::kUnavailable,
                          "DATABASE_UNAVAILABLE",
                          "Database unavailable",
                          error.what());
    }
}

Database::Lease::~Lease() { database_.pool_.give_back(position_); }

void run(soci::session& sql, const std::function<void()>& body, const char* conflict_code) {
    for (int attempt = 0;; ++attempt) {
        try {
            body();
            return;
        } catch (const soci::postgresql_soci_error& error) {
            const std::string state = error.sqlstate();
            if ((state == "40001" || state == "40P01") && attempt == 0) {
                continue;
            }
            if (state == "23505") {
                throw http::Error(http::ErrorKind::kConflict,
                                  conflict_code,
                                  "Conflicts with existing data",
                                  error.what());
            }
            if (state.rfind("08", 0) == 0 || state.rfind("57P", 0) == 0 || is_connection_bad(sql)) {
                throw http::Error(http::ErrorKind::kUnavailable,
                                  "DATABASE_UNAVAILABLE",
                                  "Database unavailable",
                                  error.what());
            }
            throw http::Error(
                http::ErrorKind::kInternal, "INTERNAL_ERROR", "Internal error", error.what());
        } catch (const soci::soci_error& error) {
            if (is_connection_bad(sql)) {
                throw http::Error(http::ErrorKind::kUnavailable,
                                  "DATABASE_UNAVAILABLE",
                                  "Database unavailable",
                                  error.what());
            }
            throw http::Error(
                http::ErrorKind::kInternal, "INTERNAL_ERROR", "Internal error", error.what());
        }
    }
}

void execute_script(soci::session& sql, const std::string& script) {
    PGconn* connection = native_connection(sql);
    if (connection == nullptr) {
        throw soci::soci_error("not connected");
    }
    const std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(connection, script.c_str()),
                                                               &PQclear);
    const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        throw soci::soci_error(std::string("script failed: ") + PQerrorMessage(connection));
    }
}

void ping(soci::session& sql) {
    run(sql, [&sql] { sql << "SELECT 1"; });
}

}  // namespace webpods::store
