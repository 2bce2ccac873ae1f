// Read replicas (SPEC §14): PostgreSQL hot standbys that serve stored records. Each worker process
// keeps a pool of connections to every replica beside the primary's. Everything sent to a replica
// runs under a client-side deadline, since a server-side statement_timeout cannot fire on a
// stopped server, and a replica that failed is left alone for a while.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/prepared.h"

namespace webpods::store {

class Tx;

// One replica as the config names it, and the libpq connection string that reaches it.
struct ReplicaEndpoint {
    std::string host;
    int port = 0;
    std::string connection_string;
};

// How a replica read ended.
enum class ReplicaRead {
    kAnswered,     // a replica ran the statement to its end (or until visit returned false)
    kUnavailable,  // none did: no replica is configured, all are resting, or the one asked failed
                   // or stayed silent too long. Rows visited before that are still right.
};

// One replica's state for /health.
struct ReplicaState {
    std::string host;
    int port = 0;
    bool up = false;
    std::optional<std::string> replay_position;  // pg_last_wal_replay_lsn(), when up
};

class Replicas {
public:
    // How long a replica that failed is left alone before it is tried again (SPEC §14).
    static constexpr std::chrono::seconds kRest{10};

    // Called with a line for the log when a replica fails.
    using Report = std::function<void(std::string_view)>;

    // silence: how long a replica may send nothing while a request waits on it (replicaTimeout);
    // connect_timeout: the most opening a connection may take (connectTimeout), also bounded by
    // silence. Nothing is opened here.
    Replicas(std::vector<ReplicaEndpoint> endpoints,
             std::chrono::milliseconds silence,
             std::chrono::milliseconds connect_timeout,
             Report report);
    ~Replicas();
    Replicas(const Replicas&) = delete;
    Replicas& operator=(const Replicas&) = delete;

    bool empty() const { return replicas_.empty(); }

    // Runs `statement` on one replica that is not resting (in turn), handing its rows to visit
    // one at a time as they arrive (single-row mode) until visit returns false. A replica that
    // refuses the connection, breaks it, or sends nothing for `silence` rests for kRest: nothing
    // is sent to it meanwhile. A statement the replica refuses (a conflict with recovery) only
    // answers kUnavailable. Exceptions of visit propagate; that connection is closed.
    ReplicaRead each(const Prepared& statement,
                     std::initializer_list<Param> params,
                     const std::function<bool(const Rows&)>& visit);

    // Every replica's state, in config order: each one not resting is asked for its replay
    // position (within the same deadline; failing marks it resting).
    std::vector<ReplicaState> states();

private:
    class Replica;

    bool run_on(Replica& replica,
                const Prepared& statement,
                const Wire& wire,
                const std::function<bool(const Rows&)>& visit);

    std::vector<std::unique_ptr<Replica>> replicas_;
    std::chrono::milliseconds silence_;
    std::chrono::milliseconds connect_timeout_;
    Report report_;
    std::atomic<std::size_t> next_{0};
};

// A replica's state with its lag behind the primary, as /health shows it.
struct ReplicaHealth {
    std::string host;
    int port = 0;
    bool up = false;
    std::optional<long long> lag_bytes;  // the primary's WAL position minus the replay position
};

// The state of each replica of tx's database, the lag measured against the primary through tx.
std::vector<ReplicaHealth> replica_health(Tx& tx);

// Whether record reads on tx go to a replica first: replicas are configured and no transaction is
// open (inside one, the primary is asked alone: it holds what the transaction wrote, and locks are
// not held while a replica is waited for).
bool reads_from_replicas(Tx& tx);

}  // namespace webpods::store
