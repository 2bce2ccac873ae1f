// Read replicas: connection pools, deadlines on every wait, resting after a failure.
#include "store/replicas.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <stdexcept>
#include <unordered_set>
#include <utility>

#include "metrics/metrics.h"
#include "store/database.h"

namespace webpods::store {

namespace {

using Clock = std::chrono::steady_clock;

// The replay position of a standby (NULL on a server that is not in recovery).
constexpr Prepared kReplayPosition{"replica_replay_position",
                                   "SELECT CAST(pg_last_wal_replay_lsn() AS text)"};
// How far a replay position is behind the primary's WAL, in bytes.
constexpr Prepared kLag{
    "replica_lag",
    "SELECT CAST(pg_wal_lsn_diff(pg_current_wal_lsn(), CAST($1 AS pg_lsn)) AS bigint)"};

// A wait that ends when the peer stays silent for `silence`; each sign of life restarts it.
class Deadline {
public:
    explicit Deadline(std::chrono::milliseconds silence)
        : silence_(silence), at_(Clock::now() + silence) {}

    void heard() { at_ = Clock::now() + silence_; }

    // Milliseconds left, rounded up; 0 once passed.
    int remaining() const {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(at_ - Clock::now());
        return static_cast<int>(std::max<long long>(left.count(), 0));
    }

private:
    std::chrono::milliseconds silence_;
    Clock::time_point at_;
};

// Why an attempt on a replica ended early. kDown makes the replica rest.
enum class Failure { kStatement, kDown };

class AttemptFailed : public std::runtime_error {
public:
    AttemptFailed(Failure failure, const std::string& detail)
        : std::runtime_error(detail), failure_(failure) {}
    Failure failure() const { return failure_; }

private:
    Failure failure_;
};

[[noreturn]] void fail_down(PGconn* connection, const char* what) {
    const char* message = connection != nullptr ? PQerrorMessage(connection) : nullptr;
    throw AttemptFailed(
        Failure::kDown,
        std::string(what) + (message != nullptr ? std::string(": ") + message : ""));
}

[[noreturn]] void fail_silent() {
    throw AttemptFailed(Failure::kDown, "no answer within replicaTimeout");
}

// Waits until the connection's socket is ready for `events`; false once the deadline passed.
bool wait_for(PGconn* connection, short events, const Deadline& deadline) {
    for (;;) {
        const int remaining = deadline.remaining();
        if (remaining == 0) {
            return false;
        }
        pollfd descriptor{PQsocket(connection), events, 0};
        const int ready = poll(&descriptor, 1, remaining);
        if (ready > 0 || (ready < 0 && errno != EINTR)) {
            return true;  // ready, or an error the next libpq call reports
        }
    }
}

struct Connection {
    explicit Connection(PGconn* opened) : native(opened, &PQfinish) {}

    std::unique_ptr<PGconn, decltype(&PQfinish)> native;
    std::unordered_set<std::string> prepared;
};

// Opens a connection without blocking past the deadline (libpq's own connect_timeout cannot
// see a server that accepts and then says nothing).
std::unique_ptr<Connection> open(const std::string& connection_string, const Deadline& deadline) {
    auto connection = std::make_unique<Connection>(PQconnectStart(connection_string.c_str()));
    PGconn* native = connection->native.get();
    if (native == nullptr || PQstatus(native) == CONNECTION_BAD) {
        fail_down(native, "cannot connect");
    }
    PostgresPollingStatusType status = PGRES_POLLING_WRITING;
    while (status != PGRES_POLLING_OK) {
        if (status == PGRES_POLLING_FAILED) {
            fail_down(native, "cannot connect");
        }
        if (!wait_for(native, status == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline)) {
            fail_silent();
        }
        status = PQconnectPoll(native);
    }
    if (PQsetnonblocking(native, 1) != 0) {
        fail_down(native, "cannot make the connection non-blocking");
    }
    return connection;
}

// Sends what libpq has buffered.
void flush(PGconn* connection, Deadline& deadline) {
    for (;;) {
        const int pending = PQflush(connection);
        if (pending == 0) {
            return;
        }
        if (pending < 0) {
            fail_down(connection, "cannot send");
        }
        if (!wait_for(connection, POLLIN | POLLOUT, deadline)) {
            fail_silent();
        }
        if (PQconsumeInput(connection) == 0) {
            fail_down(connection, "connection lost");
        }
    }
}

// The next result of the command in progress, nullptr at its end.
PGresult* next_result(PGconn* connection, Deadline& deadline) {
    while (PQisBusy(connection) != 0) {
        if (!wait_for(connection, POLLIN, deadline)) {
            fail_silent();
        }
        if (PQconsumeInput(connection) == 0) {
            fail_down(connection, "connection lost");
        }
        deadline.heard();
    }
    return PQgetResult(connection);
}

bool succeeded(ExecStatusType status) {
    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_SINGLE_TUPLE;
}

// After an error result: the connection is still usable unless it broke.
[[noreturn]] void fail_statement(PGconn* connection, const std::string& message) {
    if (PQstatus(connection) == CONNECTION_BAD) {
        throw AttemptFailed(Failure::kDown, message);
    }
    throw AttemptFailed(Failure::kStatement, message);
}

void prepare(Connection& connection, const Prepared& statement, Deadline& deadline) {
    PGconn* native = connection.native.get();
    if (PQsendPrepare(native, statement.name, statement.text, 0, nullptr) == 0) {
        fail_down(native, "cannot send");
    }
    flush(native, deadline);
    std::string error;
    while (PGresult* result = next_result(native, deadline)) {
        if (!succeeded(PQresultStatus(result)) && error.empty()) {
            error = PQresultErrorMessage(result);
        }
        PQclear(result);
    }
    if (!error.empty()) {
        fail_statement(native, error);
    }
    connection.prepared.insert(statement.name);
}

void run(Connection& connection,
         const Prepared& statement,
         const Wire& wire,
         const std::function<bool(const Rows&)>& visit,
         Deadline& deadline) {
    if (connection.prepared.count(statement.name) == 0) {
        prepare(connection, statement, deadline);
    }
    PGconn* native = connection.native.get();
    if (PQsendQueryPrepared(native,
                            statement.name,
                            wire.size(),
                            wire.values.data(),
                            wire.lengths.data(),
                            wire.formats.data(),
                            kBinaryFormat) == 0) {
        fail_down(native, "cannot send");
    }
    PQsetSingleRowMode(native);  // before anything else is read from the connection
    flush(native, deadline);
    bool wanted = true;
    std::string error;
    while (PGresult* next = next_result(native, deadline)) {
        const Rows rows(next);
        const ExecStatusType status = PQresultStatus(next);
        if (status == PGRES_SINGLE_TUPLE) {
            // Once visit has had enough, the rest is still read: the connection must reach the
            // end of the answer to be used again.
            wanted = wanted && visit(rows);
        } else if (!succeeded(status) && error.empty()) {
            error = PQresultErrorMessage(next);
        }
    }
    if (!error.empty()) {
        fail_statement(native, error);
    }
}

// An idle connection has nothing to read unless the server ended it.
bool is_usable(const Connection& connection) {
    PGconn* native = connection.native.get();
    if (PQstatus(native) != CONNECTION_OK || PQtransactionStatus(native) != PQTRANS_IDLE) {
        return false;
    }
    pollfd descriptor{PQsocket(native), POLLIN, 0};
    return poll(&descriptor, 1, 0) == 0;
}

}  // namespace

// One replica: its idle connections and when it may be tried again.
class Replicas::Replica {
public:
    explicit Replica(ReplicaEndpoint endpoint) : endpoint_(std::move(endpoint)) {}

    const ReplicaEndpoint& endpoint() const { return endpoint_; }

    bool is_resting() const { return Clock::now().time_since_epoch().count() < resting_until_; }

    // Left alone for kRest; its idle connections are closed, since they may hang as well.
    void rest() {
        resting_until_ = (Clock::now() + kRest).time_since_epoch().count();
        std::vector<std::unique_ptr<Connection>> closing;
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            closing.swap(idle_);
        }
    }

    // An idle connection that still looks usable, or nullptr.
    std::unique_ptr<Connection> take() {
        for (;;) {
            std::unique_ptr<Connection> connection;
            {
                const std::lock_guard<std::mutex> lock(mutex_);
                if (idle_.empty()) {
                    return nullptr;
                }
                connection = std::move(idle_.back());
                idle_.pop_back();
            }
            if (is_usable(*connection)) {
                return connection;
            }
        }
    }

    void give_back(std::unique_ptr<Connection> connection) {
        if (!connection || !is_usable(*connection)) {
            return;
        }
        const std::lock_guard<std::mutex> lock(mutex_);
        idle_.push_back(std::move(connection));
    }

private:
    ReplicaEndpoint endpoint_;
    std::atomic<Clock::rep> resting_until_{0};
    std::mutex mutex_;
    std::vector<std::unique_ptr<Connection>> idle_;
};

Replicas::Replicas(std::vector<ReplicaEndpoint> endpoints,
                   std::chrono::milliseconds silence,
                   std::chrono::milliseconds connect_timeout,
                   Report report)
    : silence_(silence), connect_timeout_(connect_timeout), report_(std::move(report)) {
    for (auto& endpoint : endpoints) {
        replicas_.push_back(std::make_unique<Replica>(std::move(endpoint)));
    }
}

Replicas::~Replicas() = default;

bool Replicas::run_on(Replica& replica,
                      const Prepared& statement,
                      const Wire& wire,
                      const std::function<bool(const Rows&)>& visit) {
    std::unique_ptr<Connection> connection = replica.take();
    try {
        if (!connection) {
            connection = open(replica.endpoint().connection_string,
                              Deadline(std::min(silence_, connect_timeout_)));
        }
        Deadline deadline(silence_);
        run(*connection, statement, wire, visit, deadline);
        replica.give_back(std::move(connection));
        return true;
    } catch (const AttemptFailed& failed) {
        const std::string where =
            "replica " + replica.endpoint().host + ":" + std::to_string(replica.endpoint().port);
        if (failed.failure() == Failure::kDown) {
            connection.reset();
            replica.rest();
            if (report_) {
                report_(where + " left alone for 10 s: " + failed.what());
            }
        } else {
            replica.give_back(std::move(connection));
            if (report_) {
                report_(where + " refused " + statement.name + ": " + failed.what());
            }
        }
        return false;
    }
}

ReplicaRead Replicas::each(const Prepared& statement,
                           std::initializer_list<Param> params,
                           const std::function<bool(const Rows&)>& visit) {
    const std::size_t count = replicas_.size();
    const std::size_t start = count == 0 ? 0 : next_.fetch_add(1) % count;
    for (std::size_t offset = 0; offset < count; ++offset) {
        Replica& replica = *replicas_[(start + offset) % count];
        if (!replica.is_resting()) {
            // One replica per read: a second could cost the request another deadline.
            const Wire wire(params);
            metrics::count_statement(metrics::Target::kReplica);
            return run_on(replica, statement, wire, visit) ? ReplicaRead::kAnswered
                                                           : ReplicaRead::kUnavailable;
        }
    }
    return ReplicaRead::kUnavailable;
}

std::vector<ReplicaState> Replicas::states() {
    std::vector<ReplicaState> states;
    for (const auto& replica : replicas_) {
        ReplicaState state{replica->endpoint().host, replica->endpoint().port, false, std::nullopt};
        if (!replica->is_resting()) {
            const Wire wire(std::initializer_list<Param>{});
            state.up = run_on(*replica, kReplayPosition, wire, [&state](const Rows& rows) {
                if (!rows.is_null(0, 0)) {
                    state.replay_position = rows.text(0, 0);
                }
                return true;
            });
        }
        states.push_back(std::move(state));
    }
    return states;
}

std::vector<ReplicaHealth> replica_health(Tx& tx) {
    std::vector<ReplicaHealth> health;
    // Replicas first: the primary's position read after theirs keeps the lag from going negative.
    for (ReplicaState& state : tx.replicas().states()) {
        ReplicaHealth entry{std::move(state.host), state.port, state.up, std::nullopt};
        if (state.up && state.replay_position) {
            const Rows rows = execute(tx, kLag, {*state.replay_position});
            entry.lag_bytes = std::max(0LL, rows.integer(0, 0));
        }
        health.push_back(std::move(entry));
    }
    return health;
}

bool reads_from_replicas(Tx& tx) { return !tx.in_transaction() && !tx.replicas().empty(); }

}  // namespace webpods::store
