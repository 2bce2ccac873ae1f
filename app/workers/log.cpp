// stderr logging; one write(2) per line so lines from threads and processes never interleave.
#include "workers/log.h"

#include <unistd.h>

#include <string>

namespace webpods::workers {

void log_line(std::string_view level, std::string_view message) {
    std::string line = "webpods[" + std::to_string(getpid()) + "] " + std::string(level) + ": ";
    for (const char c : message) {
        line.push_back(c == '\n' || c == '\r' ? ' ' : c);
    }
    line.push_back('\n');
    const ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
    (void)ignored;
}

}  // namespace webpods::workers
