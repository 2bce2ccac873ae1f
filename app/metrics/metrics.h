// Host-wide counters of SPEC §13: one shared memory segment that the supervisor maps before it
// forks, which every worker process adds to, rendered as Prometheus text (format 0.0.4).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace webpods::metrics {

// The fixed `route` label set (SPEC §13).
enum class Route {
    kRecord,
    kList,
    kRange,
    kAppend,
    kDelete,
    kMeta,
    kProof,
    kAuth,
    kHealth,
    kOther
};
constexpr std::size_t kRouteCount = 10;
std::string_view route_name(Route route);

// `target` of webpods_db_statements_total and `reason` of webpods_replica_fallbacks_total
// (SPEC §14): a replica that answered but lacked rows is behind; one that did not answer, down.
enum class Target { kPrimary, kReplica };
enum class Fallback { kBehind, kDown };

// Maps the segment (anonymous, MAP_SHARED) and records the calling process as the supervisor.
// Called once, before the first fork, so that every worker shares it and a worker's
// replacement finds the counts of the one it replaces. Without it (webpodsctl, unit tests that
// do not call it) every function below does nothing and render() shows zeros. Throws
// std::runtime_error when mmap fails.
void create_segment();

// Worker slots hold the gauges of one worker process (its connections and subscribers) and its
// pid (for the resident memory of the host). The supervisor claims one before forking a worker
// (-1: all in use; that worker's gauges are then not shown) and releases it when the worker is
// reaped, which zeroes its gauges; the worker enters it first thing after fork.
int claim_worker_slot();
void assign_worker_slot(int slot, pid_t pid);
void release_worker_slot(pid_t pid);
void enter_worker_slot(int slot);

// The supervisor's own figures.
void set_workers(int count);
void count_worker_restart();

// One answered request: its route, status and time from accept to the answer's hand-over.
// An append (route kAppend) answered 201 counts in webpods_appends_total unless it was an
// idempotent replay (Replay::kReplayed: nothing was stored); one refused with 409, 412 or 422
// in webpods_append_conflicts_total.
enum class Replay { kNone, kReplayed };
void count_request(Route route,
                   int status,
                   std::chrono::microseconds duration,
                   Replay replay = Replay::kNone);
// A request refused with 429 by the service's rate limit; action is SPEC §5's name ("write",
// "read", "pod_create", "stream_create", "login"); another name is not counted.
void count_rate_limited(std::string_view action);
void count_db_error();
void count_statement(Target target);
void count_replica_fallback(Fallback reason);

// Gauges of the calling worker process.
void add_db_connections_open(int delta);
void add_db_connections_busy(int delta);
void add_subscribers(int delta);

// The whole host's figures in the Prometheus text format 0.0.4.
std::string render(std::string_view version);

}  // namespace webpods::metrics
