// PostgreSQL access: a SOCI connection pool, the unit of work of one use case (Tx, Atomic),
// and the one place where database failures become webpods errors.
#pragma once

#include <soci/connection-pool.h>
#include <soci/session.h>

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "errors/errors.h"
#include "store/prepared.h"
#include "store/replicas.h"

namespace webpods::store {

// libpq connection string for the configured database (its primary).
std::string connection_string(const config::Database& database);

// The database access of one use case, on one leased session. Every statement runs on its own
// (autocommit) unless an Atomic is open on it. Store functions take a Tx& and never open a
// transaction of their own: the use case decides [libpqxx transaction_base].
class Tx {
public:
    Tx(soci::session& sql, PreparedNames& prepared, Replicas& replicas)
        : sql_(sql), prepared_(prepared), replicas_(replicas) {}
    Tx(const Tx&) = delete;
    Tx& operator=(const Tx&) = delete;

    soci::session& sql() { return sql_; }
    PreparedNames& prepared() { return prepared_; }
    // The database's read replicas (none, unless configured).
    Replicas& replicas() { return replicas_; }
    bool in_transaction() const { return in_transaction_; }

private:
    friend class Atomic;
    soci::session& sql_;
    PreparedNames& prepared_;
    Replicas& replicas_;
    bool in_transaction_ = false;
};

// BEGIN ... COMMIT over a Tx: everything run on the Tx while it lives is one PostgreSQL
// transaction, rolled back unless commit() is called. A second Atomic on the same Tx throws
// (an internal error), so nested transactions cannot happen silently.
class Atomic {
public:
    explicit Atomic(Tx& tx);
    ~Atomic();
    Atomic(const Atomic&) = delete;
    Atomic& operator=(const Atomic&) = delete;

    void commit();
    Tx& tx() { return tx_; }

private:
    Tx& tx_;
    bool open_ = true;
};

// Whether a use case may be run again after the connection broke under it. Serialization
// failures and deadlocks (40001, 40P01) roll the transaction back, so any use case is retried
// once after them; a lost connection may have lost a commit's answer, so only use cases that
// write nothing are retried after that.
enum class Retry { kAfterRollback, kAlsoAfterLostConnection };

class Database {
public:
    // size: how many sessions the pool holds (one per accept thread is enough). Nothing is
    // opened here, so a worker starts even while PostgreSQL is down.
    Database(std::string connection_string, std::size_t size);
    // The same for the configured database, with a pool for each of its replicas (SPEC §14);
    // report receives a log line when a replica fails.
    Database(const config::Database& settings, std::size_t size, Replicas::Report report);
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    // Runs use_case(Tx&) on a leased session, (re)connected if needed, and returns what it
    // returns. Database failures leave as errors::Error: connection loss DATABASE_UNAVAILABLE,
    // a unique violation the conflict its constraint names (ALIAS_EXISTS, else CONFLICT),
    // anything else INTERNAL_ERROR with the SQL text in the detail only.
    template <typename UseCase>
    auto run(Retry retry, UseCase&& use_case) -> decltype(use_case(std::declval<Tx&>()));

private:
    // A leased session, returned to the pool at scope end.
    class Lease {
    public:
        explicit Lease(Database& database);
        ~Lease();
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        soci::session& sql() { return session_; }
        PreparedNames& prepared() { return database_.prepared_[position_]; }

    private:
        Database& database_;
        std::size_t position_;
        soci::session& session_;
    };

    // What a failed attempt means: the error to throw, or nullopt to try once more.
    static std::optional<errors::Error> judge_failure(const soci::soci_error& error,
                                                      soci::session& sql,
                                                      Retry retry,
                                                      int attempt);

    soci::connection_pool pool_;
    std::vector<PreparedNames> prepared_;  // one per pool position
    std::string connection_string_;
    Replicas replicas_;
};

template <typename UseCase>
auto Database::run(Retry retry, UseCase&& use_case) -> decltype(use_case(std::declval<Tx&>())) {
    for (int attempt = 0;; ++attempt) {
        Lease lease(*this);
        try {
            Tx tx(lease.sql(), lease.prepared(), replicas_);
            return use_case(tx);
        } catch (const soci::soci_error& error) {
            if (auto failure = judge_failure(error, lease.sql(), retry, attempt)) {
                throw std::move(*failure);
            }
        }
    }
}

// Runs a script of several statements verbatim (no placeholder parsing), for migrations.
void execute_script(Tx& tx, const std::string& script);

// One trivial round trip.
void ping(Tx& tx);

}  // namespace webpods::store
