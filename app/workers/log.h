// Logging to stderr (journald or the terminal), one line per event, prefixed with the pid.
#pragma once

#include <string_view>

namespace webpods::workers {

void log_line(std::string_view level, std::string_view message);

inline void log_info(std::string_view message) { log_line("info", message); }
inline void log_error(std::string_view message) { log_line("error", message); }

}  // namespace webpods::workers
