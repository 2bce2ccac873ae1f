// webpods-fcgi: the FastCGI worker pool. Wiring only: options → supervisor → workers.
#include <cstring>
#include <iostream>
#include <string>

#include "workers/supervisor.h"

namespace {

constexpr const char* kUsage =
    "usage: webpods-fcgi --config FILE [--socket PATH]\n"
    "       webpods-fcgi --check-config --config FILE\n"
    "  --check-config checks the config (and its checkpoint key) and exits: 0 valid, 2 not.\n"
    "  Without --socket the listening socket is inherited: systemd socket activation\n"
    "  (LISTEN_FDS) or fd 0 as spawn-fcgi passes it. WEBPODS_CONFIG may name the config.\n";

}  // namespace

int main(int argc, char** argv) {
    webpods::workers::SupervisorOptions options;
    // NOLINTNEXTLINE(concurrency-mt-unsafe): read once, before any thread exists
    if (const char* from_environment = std::getenv("WEBPODS_CONFIG")) {
        options.config_path = from_environment;
    }
    bool check_only = false;
    for (int i = 1; i < argc; ++i) {
        const std::string argument = argv[i];
        if (argument == "--check-config") {
            check_only = true;
        } else if (argument == "--config" && i + 1 < argc) {
            options.config_path = argv[++i];
        } else if (argument == "--socket" && i + 1 < argc) {
            options.socket_path = argv[++i];
        } else {
            std::cerr << kUsage;
            return argument == "--help" ? 0 : 2;
        }
    }
    if (options.config_path.empty()) {
        std::cerr << kUsage;
        return 2;
    }
    if (check_only) {
        return webpods::workers::check_config(options);
    }
    return webpods::workers::run_supervisor(options);
}
