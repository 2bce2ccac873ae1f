// PostgreSQL access: a SOCI connection pool whose sessions (re)connect lazily, and the one
// place where database failures become webpods errors.
#pragma once

#include <soci/connection-pool.h>
#include <soci/session.h>

#include <cstddef>
#include <functional>
#include <string>

#include "config/config.h"

namespace webpods::store {

// libpq connection string for the configured database.
std::string connection_string(const config::Database& database);

class Database {
public:
    // size: how many sessions the pool holds (one per accept thread is enough). Nothing is
    // opened here, so a worker starts even while PostgreSQL is down.
    Database(std::string connection_string, std::size_t size);
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    // A leased session, returned to the pool when the Lease goes out of scope.
    class Lease {
    public:
        Lease(Database& database);  // NOLINT(google-explicit-constructor): a scope guard
        ~Lease();
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        soci::session& sql() { return session_; }

    private:
        Database& database_;
        std::size_t position_;
        soci::session& session_;
    };

private:
    soci::connection_pool pool_;
    std::string connection_string_;
};

// Runs body; translates soci errors into http::Error (connection loss → Unavailable,
// unique violation → Conflict with conflict_code, anything else → Internal). Serialization
// failures and deadlocks (40001/40P01) are retried once.
void run(soci::session& sql,
         const std::function<void()>& body,
         const char* conflict_code = "CONFLICT");

// Runs a script of several statements verbatim (no placeholder parsing), for migrations.
void execute_script(soci::session& sql, const std::string& script);

// One trivial round trip; throws like run() when the database cannot answer.
void ping(soci::session& sql);

}  // namespace webpods::store
