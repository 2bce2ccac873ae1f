// The shared counter segment and its Prometheus text rendering.
#include "metrics/metrics.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <fstream>
#include <new>
#include <stdexcept>
#include <type_traits>

namespace webpods::metrics {

namespace {

// Statuses 100..599 each have a counter: a fixed array needs no allocation in shared memory.
constexpr int kFirstStatus = 100;
constexpr int kLastStatus = 599;
constexpr std::size_t kStatusCount = kLastStatus - kFirstStatus + 1;
// Upper bounds of the duration histogram, in microseconds (Prometheus' default buckets).
constexpr std::array<std::int64_t, 11> kBucketBounds{
    5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};
constexpr std::size_t kBucketCount = kBucketBounds.size() + 1;  // the last one is +Inf
constexpr std::array<std::string_view, 5> kRateActions{
    "write", "read", "pod_create", "stream_create", "login"};
constexpr std::size_t kMaxWorkerSlots = 256;

using Counter = std::atomic<std::uint64_t>;
using Gauge = std::atomic<std::int64_t>;
// Atomics in memory shared between processes work only when they are lock-free (address-free).
static_assert(Counter::is_always_lock_free && Gauge::is_always_lock_free);

struct WorkerSlot {
    Gauge pid;
    Gauge db_open;
    Gauge db_busy;
    Gauge subscribers;
};

// Zero-filled by mmap, which is every atomic's initial value.
struct Segment {
    Gauge supervisor_pid;
    Gauge workers;
    Counter worker_restarts;
    std::array<std::array<Counter, kStatusCount>, kRouteCount> requests;
    // Each bucket counts the requests of its own interval; render() accumulates them, so that
    // count and the +Inf bucket are one sum and agree in every scrape.
    std::array<std::array<Counter, kBucketCount>, kRouteCount> duration_buckets;
    std::array<Counter, kRouteCount> duration_sum_microseconds;
    Counter appends;
    Counter append_conflicts;
    std::array<Counter, kRateActions.size()> rate_limited;
    Counter db_errors;
    std::array<Counter, 2> statements;  // Target
    std::array<Counter, 2> fallbacks;   // Fallback
    std::array<WorkerSlot, kMaxWorkerSlots> slots;
};
static_assert(std::is_trivially_destructible_v<Segment>);

Segment* segment = nullptr;
int own_slot = -1;

WorkerSlot* own_worker_slot() {
    if (segment == nullptr || own_slot < 0) {
        return nullptr;
    }
    return &segment->slots[static_cast<std::size_t>(own_slot)];
}

void add(Counter& counter, std::uint64_t amount = 1) {
    counter.fetch_add(amount, std::memory_order_relaxed);
}

// The resident set of a process in bytes, 0 when it is gone.
std::int64_t resident_bytes(std::int64_t pid) {
    std::ifstream statm("/proc/" + std::to_string(pid) + "/statm");
    long long total_pages = 0;
    long long resident_pages = 0;
    if (!(statm >> total_pages >> resident_pages)) {
        return 0;
    }
    return resident_pages * sysconf(_SC_PAGESIZE);
}

class Text {
public:
    void family(std::string_view name, std::string_view type, std::string_view help) {
        text_ += "# HELP ";
        text_ += name;
        text_ += ' ';
        text_ += help;
        text_ += "\n# TYPE ";
        text_ += name;
        text_ += ' ';
        text_ += type;
        text_ += '\n';
    }
    // labels: already formatted, {name="value",...} or empty. Label values here are our own
    // fixed words and digits, never client text, so they need no escaping.
    template <typename Number>
    void sample(std::string_view name, std::string_view labels, Number value) {
        text_ += name;
        text_ += labels;
        text_ += ' ';
        text_ += std::to_string(value);
        text_ += '\n';
    }
    std::string take() { return std::move(text_); }

private:
    std::string text_;
};

std::string label(std::string_view name, std::string_view value) {
    return "{" + std::string(name) + "=\"" + std::string(value) + "\"}";
}

std::string seconds_text(std::int64_t microseconds) {
    std::string text = std::to_string(microseconds / 1000000) + ".";
    std::string fraction = std::to_string(microseconds % 1000000);
    text += std::string(6 - fraction.size(), '0') + fraction;
    while (text.back() == '0') {
        text.pop_back();
    }
    if (text.back() == '.') {
        text.pop_back();
    }
    return text;
}

}  // namespace

std::string_view route_name(Route route) {
    switch (route) {
        case Route::kRecord:
            return "record";
        case Route::kList:
            return "list";
        case Route::kRange:
            return "range";
        case Route::kAppend:
            return "append";
        case Route::kDelete:
            return "delete";
        case Route::kMeta:
            return "meta";
        case Route::kProof:
            return "proof";
        case Route::kAuth:
            return "auth";
        case Route::kHealth:
            return "health";
        case Route::kOther:
            break;
    }
    return "other";
}

void create_segment() {
    if (segment != nullptr) {
        return;
    }
    void* memory =
        mmap(nullptr, sizeof(Segment), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) {
        throw std::runtime_error("metrics: mmap of the shared counters failed");
    }
    // The zero bytes mmap gives are the atomics' initial state; placement new starts their
    // lifetime without writing to them.
    segment = new (memory) Segment;  // NOLINT(cppcoreguidelines-owning-memory): lives as long
                                     // as the process
    segment->supervisor_pid.store(getpid());
}

int claim_worker_slot() {
    if (segment == nullptr) {
        return -1;
    }
    for (std::size_t i = 0; i < kMaxWorkerSlots; ++i) {
        std::int64_t free = 0;
        // -1 marks a slot claimed whose worker has not been forked yet.
        if (segment->slots[i].pid.compare_exchange_strong(free, -1)) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

void assign_worker_slot(int slot, pid_t pid) {
    if (segment != nullptr && slot >= 0) {
        segment->slots[static_cast<std::size_t>(slot)].pid.store(pid);
    }
}

void release_worker_slot(pid_t pid) {
    if (segment == nullptr) {
        return;
    }
    for (WorkerSlot& slot : segment->slots) {
        if (slot.pid.load() == pid) {
            slot.db_open.store(0);
            slot.db_busy.store(0);
            slot.subscribers.store(0);
            slot.pid.store(0);
        }
    }
}

void enter_worker_slot(int slot) {
    own_slot = slot;
    assign_worker_slot(slot, getpid());
}

void set_workers(int count) {
    if (segment != nullptr) {
        segment->workers.store(count);
    }
}

void count_worker_restart() {
    if (segment != nullptr) {
        add(segment->worker_restarts);
    }
}

void count_request(Route route, int status, std::chrono::microseconds duration, Replay replay) {
    if (segment == nullptr) {
        return;
    }
    const auto route_index = static_cast<std::size_t>(route);
    const auto status_index =
        static_cast<std::size_t>(std::clamp(status, kFirstStatus, kLastStatus) - kFirstStatus);
    add(segment->requests[route_index][status_index]);
    const std::int64_t microseconds = std::max<std::int64_t>(0, duration.count());
    const auto bucket = static_cast<std::size_t>(
        std::lower_bound(kBucketBounds.begin(), kBucketBounds.end(), microseconds) -
        kBucketBounds.begin());
    add(segment->duration_buckets[route_index][bucket]);
    add(segment->duration_sum_microseconds[route_index], static_cast<std::uint64_t>(microseconds));
    if (route == Route::kAppend) {
        if (status == 201 && replay == Replay::kNone) {
            add(segment->appends);
        } else if (status == 409 || status == 412 || status == 422) {
            add(segment->append_conflicts);
        }
    }
}

void count_rate_limited(std::string_view action) {
    if (segment == nullptr) {
        return;
    }
    const auto* found = std::find(kRateActions.begin(), kRateActions.end(), action);
    if (found != kRateActions.end()) {
        add(segment->rate_limited[static_cast<std::size_t>(found - kRateActions.begin())]);
    }
}

void count_db_error() {
    if (segment != nullptr) {
        add(segment->db_errors);
    }
}

void count_statement(Target target) {
    if (segment != nullptr) {
        add(segment->statements[static_cast<std::size_t>(target)]);
    }
}

void count_replica_fallback(Fallback reason) {
    if (segment != nullptr) {
        add(segment->fallbacks[static_cast<std::size_t>(reason)]);
    }
}

void add_db_connections_open(int delta) {
    if (WorkerSlot* slot = own_worker_slot()) {
        slot->db_open.fetch_add(delta);
    }
}

void add_db_connections_busy(int delta) {
    if (WorkerSlot* slot = own_worker_slot()) {
        slot->db_busy.fetch_add(delta);
    }
}

void add_subscribers(int delta) {
    if (WorkerSlot* slot = own_worker_slot()) {
        slot->subscribers.fetch_add(delta);
    }
}

std::string render(std::string_view version) {
    static const Segment empty{};
    const Segment& from = segment != nullptr ? *segment : empty;
    Text text;

    text.family(
        "webpods_http_requests_total", "counter", "Requests answered, by route and status.");
    for (std::size_t route = 0; route < kRouteCount; ++route) {
        const std::string_view name = route_name(static_cast<Route>(route));
        for (std::size_t status = 0; status < kStatusCount; ++status) {
            const std::uint64_t count = from.requests[route][status].load();
            if (count != 0) {
                text.sample("webpods_http_requests_total",
                            "{route=\"" + std::string(name) + "\",status=\"" +
                                std::to_string(status + kFirstStatus) + "\"}",
                            count);
            }
        }
    }

    text.family("webpods_http_request_duration_seconds",
                "histogram",
                "Time from accepting a request to handing over its answer, by route.");
    for (std::size_t route = 0; route < kRouteCount; ++route) {
        const std::string name(route_name(static_cast<Route>(route)));
        std::uint64_t cumulative = 0;
        for (std::size_t bucket = 0; bucket < kBucketCount; ++bucket) {
            cumulative += from.duration_buckets[route][bucket].load();
            const std::string bound =
                bucket < kBucketBounds.size() ? seconds_text(kBucketBounds[bucket]) : "+Inf";
            std::string labels = "{route=\"";
            labels += name;
            labels += "\",le=\"";
            labels += bound;
            labels += "\"}";
            text.sample("webpods_http_request_duration_seconds_bucket", labels, cumulative);
        }
        const auto sum = static_cast<std::int64_t>(from.duration_sum_microseconds[route].load());
        text.sample("webpods_http_request_duration_seconds_sum",
                    label("route", name),
                    static_cast<double>(sum) / 1e6);
        text.sample(
            "webpods_http_request_duration_seconds_count", label("route", name), cumulative);
    }

    text.family("webpods_appends_total",
                "counter",
                "Records stored by appends (201, idempotent replays not counted).");
    text.sample("webpods_appends_total", "", from.appends.load());
    text.family(
        "webpods_append_conflicts_total", "counter", "Appends refused with 409, 412 or 422.");
    text.sample("webpods_append_conflicts_total", "", from.append_conflicts.load());

    text.family("webpods_rate_limited_total", "counter", "Requests refused by a rate limit.");
    for (std::size_t action = 0; action < kRateActions.size(); ++action) {
        text.sample("webpods_rate_limited_total",
                    label("action", kRateActions[action]),
                    from.rate_limited[action].load());
    }

    text.family("webpods_db_errors_total",
                "counter",
                "Database failures: connections refused or lost, statements that failed.");
    text.sample("webpods_db_errors_total", "", from.db_errors.load());
    text.family("webpods_db_statements_total", "counter", "Statements sent, by database.");
    text.sample(
        "webpods_db_statements_total", label("target", "primary"), from.statements[0].load());
    text.sample(
        "webpods_db_statements_total", label("target", "replica"), from.statements[1].load());
    text.family("webpods_replica_fallbacks_total",
                "counter",
                "Replica reads the primary completed, by why.");
    text.sample(
        "webpods_replica_fallbacks_total", label("reason", "behind"), from.fallbacks[0].load());
    text.sample(
        "webpods_replica_fallbacks_total", label("reason", "down"), from.fallbacks[1].load());

    std::int64_t busy = 0;
    std::int64_t open = 0;
    std::int64_t subscribers = 0;
    std::int64_t resident = from.supervisor_pid.load() > 0 ? resident_bytes(from.supervisor_pid)
                                                           : resident_bytes(getpid());
    for (const WorkerSlot& slot : from.slots) {
        const std::int64_t pid = slot.pid.load();
        if (pid <= 0) {
            continue;
        }
        busy += slot.db_busy.load();
        open += slot.db_open.load();
        subscribers += slot.subscribers.load();
        resident += resident_bytes(pid);
    }
    text.family("webpods_db_connections", "gauge", "Pooled database connections, by state.");
    text.sample("webpods_db_connections", label("state", "busy"), busy);
    text.sample(
        "webpods_db_connections", label("state", "idle"), std::max<std::int64_t>(0, open - busy));
    text.family("webpods_workers", "gauge", "Worker processes alive.");
    text.sample("webpods_workers", "", from.workers.load());
    text.family("webpods_worker_restarts_total",
                "counter",
                "Worker processes that died and were replaced.");
    text.sample("webpods_worker_restarts_total", "", from.worker_restarts.load());
    text.family("webpods_subscribers", "gauge", "Live readers held (SPEC 11).");
    text.sample("webpods_subscribers", "", subscribers);
    text.family("webpods_build_info", "gauge", "The running version.");
    text.sample("webpods_build_info", label("version", version), 1);
    text.family("process_resident_memory_bytes",
                "gauge",
                "Resident memory of the supervisor and its workers.");
    text.sample("process_resident_memory_bytes", "", resident);
    return text.take();
}

}  // namespace webpods::metrics
