// Database pool, transactions as scopes, and SQLSTATE mapping.
#include "store/database.h"

#include <libpq-fe.h>
#include <poll.h>
#include <soci/postgresql/soci-postgresql.h>

#include <array>
#include <chrono>
#include <memory>
#include <string_view>
#include <vector>

#include "metrics/metrics.h"

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

// Unique constraints whose violation a client can cause, by the name PostgreSQL gives them
// (sql/migrations/0001_schema.sql); any other unique violation is a plain CONFLICT.
errors::Code conflict_of(std::string_view message) {
    struct Constraint {
        std::string_view name;
        errors::Code code;
    };
    static constexpr std::array<Constraint, 1> kConstraints{{
        {"record_stream_id_alias_key", errors::Code::kAliasExists},
    }};
    for (const auto& constraint : kConstraints) {
        if (message.find(constraint.name) != std::string_view::npos) {
            return constraint.code;
        }
    }
    return errors::Code::kConflict;
}

}  // namespace

PGconn* native_connection(soci::session& sql) {
    // Only the PostgreSQL backend is ever opened; its type info is not exported by libsoci,
    // so the downcast is checked by name instead of dynamic_cast.
    soci::details::session_backend* backend = sql.get_backend();
    if (backend == nullptr || sql.get_backend_name() != "postgresql") {
        return nullptr;
    }
    return static_cast<soci::postgresql_session_backend*>(backend)->conn_;
}

namespace {

std::string connection_string(const std::string& host,
                              int port,
                              const std::string& name,
                              const std::string& user,
                              const std::string& password,
                              int connect_timeout) {
    std::string text = "dbname=" + quoted(name) + " user=" + quoted(user);
    if (!host.empty()) {
        text += " host=" + quoted(host);
    }
    text += " port=" + std::to_string(port);
    if (!password.empty()) {
        text += " password=" + quoted(password);
    }
    return text + " connect_timeout=" + std::to_string(connect_timeout) +
           " application_name=webpods";
}

std::vector<ReplicaEndpoint> replica_endpoints(const config::Database& database) {
    std::vector<ReplicaEndpoint> endpoints;
    for (const config::Replica& replica : database.replicas) {
        endpoints.push_back({replica.host,
                             replica.port,
                             connection_string(replica.host,
                                               replica.port,
                                               replica.name,
                                               replica.user,
                                               replica.password,
                                               database.connect_timeout)});
    }
    return endpoints;
}

}  // namespace

std::string connection_string(const config::Database& database) {
    return connection_string(database.host,
                             database.port,
                             database.name,
                             database.user,
                             database.password,
                             database.connect_timeout);
}

Atomic::Atomic(Tx& tx) : tx_(tx) {
    if (tx_.in_transaction_) {
        throw errors::internal_error("nested transaction on one session");
    }
    tx_.sql_.begin();
    tx_.in_transaction_ = true;
}

Atomic::~Atomic() {
    if (!open_) {
        return;
    }
    tx_.in_transaction_ = false;
    try {
        tx_.sql_.rollback();
    } catch (const soci::soci_error&) {
        // The connection is gone, and the server rolled back with it.
    }
}

void Atomic::commit() {
    tx_.sql_.commit();
    open_ = false;
    tx_.in_transaction_ = false;
}

Database::Database(std::string connection_string, std::size_t size)
    : pool_(size),
      prepared_(size),
      connection_string_(std::move(connection_string)),
      replicas_({}, std::chrono::seconds(1), std::chrono::seconds(1), {}) {}

Database::Database(const config::Database& settings, std::size_t size, Replicas::Report report)
    : pool_(size),
      prepared_(size),
      connection_string_(connection_string(settings)),
      replicas_(replica_endpoints(settings),
                std::chrono::seconds(settings.replica_timeout),
                std::chrono::seconds(settings.connect_timeout),
                std::move(report)) {}

Database::Lease::Lease(Database& database)
    : database_(database),
      position_(database.pool_.lease()),
      session_(database.pool_.at(position_)) {
    // A session that was never opened, or whose server went away, is (re)opened here, so the
    // workers recover by themselves when PostgreSQL comes back.
    metrics::add_db_connections_busy(1);
    try {
        if (session_.get_backend() == nullptr) {
            session_.open(soci::postgresql, database_.connection_string_);
            metrics::add_db_connections_open(1);
        } else if (is_connection_bad(session_) || was_closed_by_server(session_)) {
            session_.reconnect();
        }
    } catch (const soci::soci_error& error) {
        metrics::add_db_connections_busy(-1);
        metrics::count_db_error();
        database_.pool_.give_back(position_);
        throw errors::Error(errors::Code::kDatabaseUnavailable, {}, error.what());
    }
}

Database::Lease::~Lease() {
    metrics::add_db_connections_busy(-1);
    database_.pool_.give_back(position_);
}

std::optional<errors::Error> Database::judge_failure(const soci::soci_error& error,
                                                     soci::session& sql,
                                                     Retry retry,
                                                     int attempt) {
    const auto* postgresql = dynamic_cast<const soci::postgresql_soci_error*>(&error);
    const std::string state = postgresql != nullptr ? postgresql->sqlstate() : std::string{};
    const bool first_attempt = attempt == 0;
    if ((state == "40001" || state == "40P01") && first_attempt) {
        return std::nullopt;
    }
    if (state == "23505") {
        return errors::Error(conflict_of(error.what()), {}, error.what());
    }
    metrics::count_db_error();
    const bool connection_lost =
        state.rfind("08", 0) == 0 || state.rfind("57P", 0) == 0 || is_connection_bad(sql);
    if (connection_lost) {
        if (retry == Retry::kAlsoAfterLostConnection && first_attempt) {
            return std::nullopt;  // the next lease reconnects
        }
        return errors::Error(errors::Code::kDatabaseUnavailable, {}, error.what());
    }
    return errors::internal_error(error.what());
}

void execute_script(Tx& tx, const std::string& script) {
    PGconn* connection = native_connection(tx.sql());
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

void ping(Tx& tx) { tx.sql() << "SELECT 1"; }

}  // namespace webpods::store
