// Supervisor: socket acquisition, fork/reap/restart, reload and drain [nginx master, php-fpm].
#include "workers/supervisor.h"

#include <fcgiapp.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "config/config.h"
#include "fcgi/fcgi_request.h"
#include "metrics/metrics.h"
#include "workers/log.h"
#include "workers/worker.h"

namespace webpods::workers {

// The supervisor process is single-threaded: getenv/unsetenv and the process signal mask are
// safe here, which is what concurrency-mt-unsafe cannot know.
// NOLINTBEGIN(concurrency-mt-unsafe)
namespace {

constexpr int kSystemdFirstFd = 3;
constexpr int kListenBacklog = 1024;
// A worker that dies sooner than this after its start is restarted only after a pause, so a
// crash loop does not spin the CPU.
constexpr std::chrono::seconds kQuickDeath{1};
// A worker told to stop (SIGTERM: the supervisor drains, or a reload retires its generation)
// that is still alive after this is killed (SIGKILL). Above nginx's fastcgi_read_timeout (40 s),
// so a request nginx still waits for may finish; below systemd's TimeoutStopSec (75 s).
constexpr std::chrono::seconds kDrainDeadline{45};
// The supervisor's tick while it waits for workers to report ready, in nanoseconds (100 ms).
constexpr long kReadyPoll = 100000000;

bool is_listening_socket(int fd) {
    int listening = 0;
    socklen_t length = sizeof(listening);
    return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) == 0 && listening != 0;
}

// The socket named by --socket, systemd's first socket, or fd 0 as spawn-fcgi passes it.
int acquire_listen_socket(const std::string& socket_path) {
    if (!socket_path.empty()) {
        unlink(socket_path.c_str());
        const int fd = FCGX_OpenSocket(socket_path.c_str(), kListenBacklog);
        if (fd >= 0) {
            chmod(socket_path.c_str(), 0660);
        }
        return fd;
    }
    const char* listen_pid = std::getenv("LISTEN_PID");
    const char* listen_fds = std::getenv("LISTEN_FDS");
    if (listen_pid != nullptr && listen_fds != nullptr &&
        std::atol(listen_pid) == static_cast<long>(getpid()) && std::atoi(listen_fds) >= 1) {
        unsetenv("LISTEN_PID");
        unsetenv("LISTEN_FDS");
        unsetenv("LISTEN_FDNAMES");
        return kSystemdFirstFd;
    }
    if (is_listening_socket(STDIN_FILENO)) {
        return STDIN_FILENO;
    }
    return -1;
}

// Tells systemd (Type=notify) what state we are in; a no-op outside systemd.
void notify_systemd(const std::string& state) {
    const char* socket_path = std::getenv("NOTIFY_SOCKET");
    if (socket_path == nullptr || socket_path[0] == '\0') {
        return;
    }
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string path(socket_path);
    if (path.size() >= sizeof(address.sun_path)) {
        return;
    }
    path.copy(address.sun_path, path.size());
    if (address.sun_path[0] == '@') {
        address.sun_path[0] = '\0';  // abstract namespace
    }
    const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return;
    }
    const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
    sendto(fd,
           state.data(),
           state.size(),
           MSG_NOSIGNAL,
           reinterpret_cast<const sockaddr*>(&address),
           length);  // NOLINT: C socket API
    close(fd);
}

std::optional<int> checked_workers(const std::string& path);

struct WorkerProcess {
    int generation = 0;
    std::chrono::steady_clock::time_point started;
    std::optional<std::chrono::steady_clock::time_point> stopping_since;  // SIGTERM sent
    bool killed = false;                                                  // SIGKILL sent
    bool ready = false;  // reported its config loaded and its database reached
};

class Supervisor {
public:
    Supervisor(SupervisorOptions options, int listen_fd, int workers, std::array<int, 2> ready)
        : options_(std::move(options)),
          listen_fd_(listen_fd),
          workers_(workers),
          ready_read_(ready[0]),
          ready_write_(ready[1]) {}

    int run() {
        sigset_t signals;
        sigemptyset(&signals);
        for (const int signal_number : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) {
            sigaddset(&signals, signal_number);
        }
        sigprocmask(SIG_BLOCK, &signals, nullptr);
        for (int i = 0; i < workers_; ++i) {
            spawn();
        }
        log_info("supervisor started " + std::to_string(workers_) + " workers");

        while (true) {
            // Short ticks while a generation is not ready yet, so READY=1 follows promptly.
            timespec tick{awaiting_ready_ ? 0 : 1, awaiting_ready_ ? kReadyPoll : 0};
            const int received = sigtimedwait(&signals, nullptr, &tick);
            if (received == SIGTERM || received == SIGINT) {
                break;
            }
            if (received == SIGHUP) {
                reload();
            }
            reap();
            kill_overdue();
            replace_missing();
            collect_ready();
        }
        return drain();
    }

private:
    void spawn() {
        const int slot = metrics::claim_worker_slot();
        const pid_t pid = fork();
        if (pid < 0) {
            log_error("fork failed");
            metrics::assign_worker_slot(slot, 0);
            return;
        }
        if (pid == 0) {
            sigset_t none;
            sigemptyset(&none);
            sigprocmask(SIG_SETMASK, &none, nullptr);
            metrics::enter_worker_slot(slot);
            close(ready_read_);
            _exit(run_worker(options_.config_path, listen_fd_, ready_write_));
        }
        metrics::assign_worker_slot(slot, pid);
        children_[pid] =
            WorkerProcess{generation_, std::chrono::steady_clock::now(), std::nullopt, false};
        metrics::set_workers(static_cast<int>(children_.size()));
    }

    void reload() {
        const std::optional<int> workers = checked_workers(options_.config_path);
        if (!workers) {
            log_error("reload refused, keeping the running workers");
            return;
        }
        workers_ = *workers;
        notify_systemd("RELOADING=1");
        const int old_generation = generation_++;
        // New workers accept from the same socket before the old ones stop accepting, so the
        // queue never goes unserved.
        for (int i = 0; i < workers_; ++i) {
            spawn();
        }
        for (auto& [pid, process] : children_) {
            if (process.generation == old_generation) {
                stop(pid, process);
            }
        }
        awaiting_ready_ = true;
        log_info("reloading: generation " + std::to_string(generation_));
    }

    // Reads the pids workers reported ready with; once every worker of the current generation
    // has, tells systemd (READY=1 at start and after each reload), and only then: a worker that
    // cannot reach its database keeps the service "activating" (TimeoutStartSec fails it).
    void collect_ready() {
        pid_t pid = 0;
        while (read(ready_read_, &pid, sizeof(pid)) == static_cast<ssize_t>(sizeof(pid))) {
            const auto found = children_.find(pid);
            if (found != children_.end()) {
                found->second.ready = true;
            }
        }
        if (!awaiting_ready_) {
            return;
        }
        int ready = 0;
        for (const auto& entry : children_) {
            ready += static_cast<int>(entry.second.generation == generation_ && entry.second.ready);
        }
        if (ready < workers_) {
            return;
        }
        awaiting_ready_ = false;
        if (first_ready_) {
            first_ready_ = false;
            notify_systemd("READY=1\nSTATUS=serving\nMAINPID=" + std::to_string(getpid()));
            log_info("ready: every worker loaded its config and reached the database");
        } else {
            notify_systemd("READY=1");
            log_info("reloaded: generation " + std::to_string(generation_));
        }
    }

    void reap() {
        int status = 0;
        pid_t pid = 0;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            const auto found = children_.find(pid);
            if (found == children_.end()) {
                continue;
            }
            if (found->second.generation == generation_ && !draining_) {
                log_error("worker " + std::to_string(pid) + " exited (status " +
                          std::to_string(status) + "); replacing it");
                last_death_ = std::chrono::steady_clock::now() - found->second.started;
                metrics::count_worker_restart();
            }
            metrics::release_worker_slot(pid);
            children_.erase(found);
            metrics::set_workers(static_cast<int>(children_.size()));
        }
    }

    static void stop(pid_t pid, WorkerProcess& process) {
        kill(pid, SIGTERM);
        process.stopping_since = std::chrono::steady_clock::now();
    }

    // The drain deadline: a worker that has not finished its requests by then is killed.
    void kill_overdue() {
        const auto now = std::chrono::steady_clock::now();
        for (auto& [pid, process] : children_) {
            if (process.stopping_since && !process.killed &&
                now - *process.stopping_since >= kDrainDeadline) {
                log_error("worker " + std::to_string(pid) + " still draining after " +
                          std::to_string(kDrainDeadline.count()) + " s; killing it");
                kill(pid, SIGKILL);
                process.killed = true;
            }
        }
    }

    void replace_missing() {
        int current = 0;
        for (const auto& entry : children_) {
            current += static_cast<int>(entry.second.generation == generation_);
        }
        if (current < workers_ && last_death_ < kQuickDeath) {
            // Crash loop guard: one pause, then try again.
            last_death_ = kQuickDeath;
            return;
        }
        for (; current < workers_; ++current) {
            spawn();
        }
    }

    int drain() {
        notify_systemd("STOPPING=1");
        draining_ = true;
        for (auto& [pid, process] : children_) {
            if (!process.stopping_since) {
                stop(pid, process);
            }
        }
        sigset_t child_exits;
        sigemptyset(&child_exits);
        sigaddset(&child_exits, SIGCHLD);
        while (!children_.empty()) {
            timespec tick{1, 0};
            sigtimedwait(&child_exits, nullptr, &tick);
            reap();
            kill_overdue();
        }
        log_info("supervisor stopped");
        return 0;
    }

    SupervisorOptions options_;
    int listen_fd_;
    int workers_;
    int generation_ = 0;
    bool draining_ = false;
    std::chrono::steady_clock::duration last_death_ = kQuickDeath;
    std::map<pid_t, WorkerProcess> children_;
    int ready_read_;   // non-blocking; workers write their pid when ready
    int ready_write_;  // inherited by every worker
    bool awaiting_ready_ = true;
    bool first_ready_ = true;
};

}  // namespace

namespace {

// The worker count of the config at path, checked as a start checks it (its checkpoint key
// too); nullopt, after logging why, when it cannot be used.
std::optional<int> checked_workers(const std::string& path) {
    try {
        const config::Config config = config::load_config_file(path);
        load_signer(config);  // a key that cannot sign stops the service at start, not later
        return config.workers;
    } catch (const config::ConfigError& error) {
        log_error(error.what());
    } catch (const checkpoint::NoteError& error) {
        log_error(std::string("checkpoint.keyFile: ") + error.what());
    }
    return std::nullopt;
}

}  // namespace

int check_config(const SupervisorOptions& options) {
    if (!checked_workers(options.config_path)) {
        return 2;
    }
    log_info("config " + options.config_path + " is valid");
    return 0;
}

int run_supervisor(const SupervisorOptions& options) {
    const std::optional<int> checked = checked_workers(options.config_path);
    if (!checked) {
        return 2;
    }
    const int workers = *checked;
    const int listen_fd = acquire_listen_socket(options.socket_path);
    if (listen_fd < 0) {
        log_error("no listening socket: pass --socket PATH, or start under systemd or spawn-fcgi");
        return 2;
    }
    fcgi::prepare_listen_socket(listen_fd);
    try {
        metrics::create_segment();  // before the first fork: every worker shares it
    } catch (const std::runtime_error& error) {
        log_error(error.what());
        return 1;
    }
    std::array<int, 2> ready{};
    if (pipe2(ready.data(), O_NONBLOCK | O_CLOEXEC) != 0) {
        log_error("pipe for the workers' readiness failed");
        return 1;
    }
    return Supervisor(options, listen_fd, workers, ready).run();
}

// NOLINTEND(concurrency-mt-unsafe)

}  // namespace webpods::workers
