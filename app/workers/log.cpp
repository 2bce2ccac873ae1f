// stderr logging as JSON lines; one write(2) per line so lines from threads and processes never
// interleave.
#include "workers/log.h"

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

#include "json/writer.h"

namespace webpods::workers {

namespace {

// 2026-12-03T19:45:01.123Z
std::string timestamp() {
    const auto now = std::chrono::system_clock::now();
    const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    const auto milliseconds =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() %
        1000;
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    std::array<char, 32> text{};
    const std::size_t length = std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%S", &utc);
    std::array<char, 8> fraction{};
    std::snprintf(fraction.data(), fraction.size(), ".%03dZ", static_cast<int>(milliseconds));
    return std::string(text.data(), length) + fraction.data();
}

void write_line(std::string_view level, std::string_view message, const RequestFields* fields) {
    json::Writer writer;
    writer.begin_object()
        .key("ts")
        .string(timestamp())
        .key("level")
        .string(level)
        .key("msg")
        .string(message)
        .key("pid")
        .integer(getpid());
    if (fields != nullptr) {
        for (const auto& [name, value] : {std::pair{"request_id", fields->request_id},
                                          std::pair{"pod", fields->pod},
                                          std::pair{"stream", fields->stream},
                                          std::pair{"route", fields->route}}) {
            if (!value.empty()) {
                writer.key(name).string(value);
            }
        }
        if (fields->status != 0) {
            writer.key("status").integer(fields->status);
        }
        if (fields->duration_ms) {
            // Microsecond precision as a JSON number; raw_json since the writer has no doubles.
            std::array<char, 32> number{};
            const int length =
                std::snprintf(number.data(), number.size(), "%.3f", *fields->duration_ms);
            writer.key("duration_ms")
                .raw_json(std::string_view(number.data(), static_cast<std::size_t>(length)));
        }
    }
    writer.end_object();
    std::string line = std::move(writer).take();
    line.push_back('\n');
    const ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
    (void)ignored;
}

}  // namespace

void log_line(std::string_view level, std::string_view message) {
    write_line(level, message, nullptr);
}

void log_request(std::string_view level, std::string_view message, const RequestFields& fields) {
    write_line(level, message, &fields);
}

}  // namespace webpods::workers
