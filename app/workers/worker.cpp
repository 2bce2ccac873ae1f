// Worker process: accept → handle → finish on each thread; the only catch-all of the service.
#include "workers/worker.h"

#include <fcgiapp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <ctime>
#include <thread>
#include <vector>

#include "checkpoint/checkpoint.h"
#include "config/config.h"
#include "errors/errors.h"
#include "fcgi/fcgi_request.h"
#include "handlers/context.h"
#include "ids/ids.h"
#include "live/hub.h"
#include "metrics/metrics.h"
#include "metrics/route.h"
#include "routing/router.h"
#include "store/database.h"
#include "workers/log.h"

namespace webpods::workers {

namespace {

// How often an idle accept thread looks at the stop flag.
constexpr std::chrono::milliseconds kAcceptPoll{200};
// A request that takes longer is logged whatever its status (SPEC §13).
constexpr std::chrono::seconds kSlowRequest{1};
// How long the main thread sleeps between looks at its signals once it is ready.
constexpr time_t kIdleTick = 3600;

// What the log and the metrics know of one request besides its answer.
struct Handled {
    http::Response response;
    metrics::Route route = metrics::Route::kOther;
    std::string pod;
    std::string stream;
};

// Logs an error of the request in hand (only 5xx errors have a detail worth logging).
void log_failure(const Handled& handled,
                 const std::string& request_id,
                 int status,
                 std::string_view message) {
    RequestFields fields;
    fields.request_id = request_id;
    fields.pod = handled.pod;
    fields.stream = handled.stream;
    fields.route = metrics::route_name(handled.route);
    fields.status = status;
    log_request("error", message, fields);
}

Handled handle(const handlers::Worker& worker,
               fcgi::FcgiRequest& slot,
               const std::string& request_id) {
    Handled handled;
    try {
        const http::Request request =
            slot.read(static_cast<std::size_t>(worker.config.max_payload_size));
        handled.route = metrics::route_of(request, worker.config.domain);
        const ids::HostClass host = ids::classify_host(request.host, worker.config.domain);
        if (host.kind == ids::HostKind::kPod) {
            handled.pod = host.pod;
            handled.stream = request.path.size() > 1 ? request.path.substr(1, 256) : std::string{};
        }
        handled.response = routing::dispatch(worker, request, slot);
        return handled;
    } catch (const http::AnswerCutShort& failure) {
        // A streamed answer failed after its head went out (its status stands).
        log_failure(handled, request_id, 200, std::string("answer cut short: ") + failure.what());
        slot.cut_short();
        handled.response = http::Response{};
        handled.response.sent = true;
        return handled;
    } catch (const errors::Error& error) {
        handled.response = http::error_response(error);
        if (error.kind() == errors::Kind::kInternal || error.kind() == errors::Kind::kUnavailable) {
            log_failure(handled,
                        request_id,
                        handled.response.status,
                        std::string(error.public_code()) + ": " + error.detail());
        }
        return handled;
    } catch (const std::exception& error) {
        handled.response = http::error_response(errors::Error(errors::Code::kInternalError));
        log_failure(handled, request_id, 500, std::string("unhandled: ") + error.what());
    } catch (...) {
        handled.response = http::error_response(errors::Error(errors::Code::kInternalError));
        log_failure(handled, request_id, 500, "unhandled non-standard exception");
    }
    return handled;
}

// Every answer counts in the metrics (its time up to being handed to libfcgi or the hub); a 5xx
// and an answer slower than kSlowRequest are logged.
void account(const Handled& handled,
             const std::string& request_id,
             std::chrono::steady_clock::time_point accepted) {
    const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - accepted);
    const int status = handled.response.status;
    const auto& headers = handled.response.headers;
    const bool replayed = std::any_of(headers.begin(), headers.end(), [](const auto& header) {
        return header.first == "Idempotent-Replayed";
    });
    metrics::count_request(handled.route,
                           status,
                           elapsed,
                           replayed ? metrics::Replay::kReplayed : metrics::Replay::kNone);
    if (status >= 500 || elapsed >= kSlowRequest) {
        RequestFields fields;
        fields.request_id = request_id;
        fields.pod = handled.pod;
        fields.stream = handled.stream;
        fields.route = metrics::route_name(handled.route);
        fields.status = status;
        fields.duration_ms = static_cast<double>(elapsed.count()) / 1000.0;
        log_request(status >= 500 ? "error" : "warning",
                    status >= 500 ? "request failed" : "slow request",
                    fields);
    }
}

void serve(const handlers::Worker& worker,
           fcgi::Listener& listener,
           live::Hub& hub,
           const std::atomic<bool>& stopping) {
    fcgi::FcgiRequest slot(listener);
    while (!stopping.load()) {
        if (!slot.accept(kAcceptPoll)) {
            continue;
        }
        const auto accepted = std::chrono::steady_clock::now();
        // nginx's $request_id (SPEC §13); a client's own X-Request-Id header is never read.
        const std::string request_id = slot.param("REQUEST_ID");
        Handled handled = handle(worker, slot, request_id);
        http::Response& response = handled.response;
        if (!request_id.empty()) {
            response.set_header("X-Request-Id", request_id);
        }
        if (response.subscription) {
            // A live read (SPEC §11): the hub holds it from here on, not this thread.
            if (hub.has_room()) {
                account(handled, request_id, accepted);
                hub.adopt(slot.detach(), std::move(response));
                continue;
            }
            response = http::error_response(errors::Error(errors::Code::kLiveReadersFull));
            if (!request_id.empty()) {
                response.set_header("X-Request-Id", request_id);
            }
        }
        // Counted before the answer leaves, so that a client's next request already sees it.
        account(handled, request_id, accepted);
        if (!response.sent) {
            slot.write(response);
        }
        slot.finish();
    }
}

// Whether a pooled session to the primary opens and answers a trivial statement.
bool can_reach_database(store::Database& database) {
    try {
        database.run(store::Retry::kAlsoAfterLostConnection,
                     [](store::Tx& tx) { store::ping(tx); });
        return true;
    } catch (const errors::Error&) {
        return false;
    }
}

// One write(2) of the pid, below PIPE_BUF, so reports of several workers never mix.
void report_ready(int ready_fd) {
    const pid_t pid = getpid();
    const ssize_t written = ::write(ready_fd, &pid, sizeof(pid));
    (void)written;  // a supervisor that is gone does not need to hear it
    ::close(ready_fd);
}

// Each live reader holds a connection for as long as it reads: the soft limit on descriptors
// (often 1024) is raised to the hard one.
void raise_descriptor_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

}  // namespace

std::optional<checkpoint::Signer> load_signer(const config::Config& config) {
    if (config.checkpoint_key_file.empty()) {
        return std::nullopt;
    }
    return checkpoint::Signer::from_file(config.checkpoint_key_file, config.checkpoint_key_name);
}

int run_worker(const std::string& config_path, int listen_fd, int ready_fd) {
    // A worker never outlives its supervisor.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);  // threads inherit the mask
    signal(SIGPIPE, SIG_IGN);
    raise_descriptor_limit();

    config::Config config;
    try {
        config = config::load_config_file(config_path);
    } catch (const config::ConfigError& error) {
        log_error(error.what());
        return 2;
    }
    const auto threads = static_cast<std::size_t>(config.threads_per_worker);
    store::Database database(config.database, threads, log_error);
    handlers::WorkerCache cache;
    std::optional<checkpoint::Signer> signer;
    try {
        signer = load_signer(config);
    } catch (const checkpoint::NoteError& error) {
        log_error(std::string("checkpoint.keyFile: ") + error.what());
        return 2;
    }
    const handlers::Worker worker{config, database, cache, signer ? &*signer : nullptr};
    live::Hub hub(worker, log_error);

    FCGX_Init();
    fcgi::Listener listener(listen_fd);
    std::atomic<bool> stopping{false};
    std::vector<std::thread> pool;
    pool.reserve(threads);
    for (std::size_t i = 0; i < threads; ++i) {
        pool.emplace_back(
            serve, std::cref(worker), std::ref(listener), std::ref(hub), std::cref(stopping));
    }
    log_info("worker serving with " + std::to_string(threads) + " threads");

    // Ready (SPEC §7, systemd): once the database has answered, the supervisor hears this
    // worker's pid on ready_fd. Until then the worker serves (health says unhealthy) and tries
    // again every second.
    bool reported = ready_fd < 0;
    int received = 0;
    while (true) {
        if (!reported && can_reach_database(database)) {
            report_ready(ready_fd);
            reported = true;
        }
        timespec tick{reported ? kIdleTick : 1, 0};
        received = sigtimedwait(&stop_signals, nullptr, &tick);
        if (received == SIGTERM || received == SIGINT) {
            break;
        }
        // SIGHUP: reloads are the supervisor's business.
    }
    // Drain: threads finish the request in hand, then see the flag within kAcceptPoll.
    stopping.store(true);
    for (auto& thread : pool) {
        thread.join();
    }
    hub.stop();  // live reads end last: the threads no longer hand any over
    log_info("worker drained");
    return 0;
}

}  // namespace webpods::workers
