// One worker process: M accept threads answering FastCGI requests until told to stop.
#pragma once

#include <string>

namespace webpods::workers {

// Loads the config, opens the database pool lazily and serves requests on listen_fd. Returns
// the process exit code: 0 after SIGTERM/SIGINT once in-flight requests finished, 2 when the
// config is invalid.
int run_worker(const std::string& config_path, int listen_fd);

}  // namespace webpods::workers
