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

// Loads and checks options.config_path as a start or a reload would (its checkpoint key too):
// 0 when it can be used, else 2 after logging why (`webpods-fcgi --check-config`, systemd's
// ExecReload, so that `systemctl reload` fails on a config the supervisor would refuse).
int check_config(const SupervisorOptions& options);

}  // namespace webpods::workers
