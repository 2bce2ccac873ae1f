// Logging to stderr (journald or the terminal): one JSON object per line (SPEC §13), with ts,
// level, msg, pid and, for a line about a request, what is known of it. Nothing logged carries a
// token, cookie, code or secret: callers pass only the fields below and messages of their own.
#pragma once

#include <optional>
#include <string_view>

namespace webpods::workers {

// What a line about one request may say; empty fields and unset numbers are left out.
struct RequestFields {
    std::string_view request_id;  // nginx's $request_id (FastCGI param REQUEST_ID)
    std::string_view pod;
    std::string_view stream;
    std::string_view route;  // the metrics route label
    int status = 0;
    std::optional<double> duration_ms;
};

void log_line(std::string_view level, std::string_view message);
void log_request(std::string_view level, std::string_view message, const RequestFields& fields);

inline void log_info(std::string_view message) { log_line("info", message); }
inline void log_error(std::string_view message) { log_line("error", message); }

}  // namespace webpods::workers
