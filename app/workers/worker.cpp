// Worker process: accept → handle → finish on each thread; the only catch-all of the service.
#include "workers/worker.h"

#include <fcgiapp.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>
#include <vector>

#include "checkpoint/checkpoint.h"
#include "config/config.h"
#include "errors/errors.h"
#include "fcgi/fcgi_request.h"
#include "handlers/context.h"
#include "live/hub.h"
#include "routing/router.h"
#include "store/database.h"
#include "workers/log.h"

namespace webpods::workers {

namespace {

// How often an idle accept thread looks at the stop flag.
constexpr std::chrono::milliseconds kAcceptPoll{200};

http::Response handle(const handlers::Worker& worker, fcgi::FcgiRequest& slot) {
    try {
        const http::Request request =
            slot.read(static_cast<std::size_t>(worker.config.max_payload_size));
        return routing::dispatch(worker, request, slot);
    } catch (const http::AnswerCutShort& failure) {
        log_error(std::string("answer cut short: ") + failure.what());
        slot.cut_short();
        http::Response gone;
        gone.sent = true;
        return gone;
    } catch (const errors::Error& error) {
        if (error.kind() == errors::Kind::kInternal || error.kind() == errors::Kind::kUnavailable) {
            log_error(std::string(error.public_code()) + ": " + error.detail());
        }
        return http::error_response(error);
    } catch (const std::exception& error) {
        log_error(std::string("unhandled: ") + error.what());
    } catch (...) {
        log_error("unhandled non-standard exception");
    }
    return http::error_response(errors::Error(errors::Code::kInternalError));
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
        http::Response response = handle(worker, slot);
        if (response.subscription) {
            // A live read (SPEC §11): the hub holds it from here on, not this thread.
            if (hub.has_room()) {
                hub.adopt(slot.detach(), std::move(response));
                continue;
            }
            response = http::error_response(errors::Error(errors::Code::kLiveReadersFull));
        }
        if (!response.sent) {
            slot.write(response);
        }
        slot.finish();
    }
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

int run_worker(const std::string& config_path, int listen_fd) {
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

    int received = 0;
    do {
        sigwait(&stop_signals, &received);
    } while (received == SIGHUP);  // reloads are the supervisor's business
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
