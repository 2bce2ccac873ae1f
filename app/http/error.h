// The one exception type of webpods: a public error code and message, plus a log-only detail.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace webpods::http {

// What went wrong, from the client's point of view; http/response.cpp maps each kind to its
// HTTP status in one switch without a default, so a new kind cannot ship unmapped.
enum class ErrorKind {
    kInvalidInput,
    kUnauthenticated,
    kForbidden,
    kNotFound,
    kMethodNotAllowed,
    kConflict,
    kPayloadTooLarge,
    kRateLimited,
    kUnavailable,
    kInternal,
};

// Thrown anywhere below the worker loop. `code` is the public SPEC string (STREAM_NOT_FOUND),
// `message` is shown to the client, `detail` goes to the log only (SQL text, library errors).
class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, std::string code, std::string message, std::string detail = {})
        : std::runtime_error(message),
          kind_(kind),
          code_(std::move(code)),
          message_(std::move(message)),
          detail_(std::move(detail)) {}

    ErrorKind kind() const noexcept { return kind_; }
    const std::string& code() const noexcept { return code_; }
    const std::string& message() const noexcept { return message_; }
    const std::string& detail() const noexcept { return detail_; }

    // Extra response headers for this error, e.g. Retry-After on a 429.
    Error& with_header(std::string name, std::string value) {
        headers_.emplace_back(std::move(name), std::move(value));
        return *this;
    }
    const std::vector<std::pair<std::string, std::string>>& headers() const noexcept {
        return headers_;
    }

private:
    ErrorKind kind_;
    std::string code_;
    std::string message_;
    std::string detail_;
    std::vector<std::pair<std::string, std::string>> headers_;
};

// The HTTP status of an error kind.
int status_of(ErrorKind kind);

}  // namespace webpods::http
