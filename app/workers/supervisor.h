// The master process: owns the listening socket and keeps N worker processes alive.
#pragma once

#include <string>

namespace webpods::workers {

struct SupervisorOptions {
    std::string config_path;
    std::string socket_path;  // empty: inherit (systemd LISTEN_FDS, else fd 0 from spawn-fcgi)
};

// Runs until SIGTERM/SIGINT; returns the exit code (2 for a bad config or no socket).
// SIGHUP re-reads the config, starts a fresh generation of workers and drains the old one,
// so no request is dropped. A worker that dies is replaced.
int run_supervisor(const SupervisorOptions& options);

}  // namespace webpods::workers
