// One worker process: M accept threads answering FastCGI requests until told to stop.
#pragma once

#include <optional>
#include <string>

#include "checkpoint/checkpoint.h"
#include "config/config.h"

namespace webpods::workers {

// The checkpoint signer of config.checkpoint_key_file, nullopt when none is configured. Throws
// checkpoint::NoteError when the file cannot be read or holds no Ed25519 key.
std::optional<checkpoint::Signer> load_signer(const config::Config& config);

// Loads the config, opens the database pool lazily and serves requests on listen_fd. Once the
// database has answered a first statement it writes its pid (one pid_t) to ready_fd and closes
// it (ready_fd < 0: nobody listens). Returns the process exit code: 0 after SIGTERM/SIGINT once
// in-flight requests finished, 2 when the config or its checkpoint key is invalid.
int run_worker(const std::string& config_path, int listen_fd, int ready_fd);

}  // namespace webpods::workers
