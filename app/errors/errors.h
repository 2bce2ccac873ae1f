// The error catalogue: every public error code of webpods, its kind and default message, and
// the one exception type that carries a code. Ground every module may stand on; uses nothing.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace webpods::errors {

// What went wrong, from the client's point of view. http/ maps each kind to its status in one
// switch without a default, so a new kind cannot ship unmapped.
enum class Kind {
    kInvalidInput,
    kUnauthenticated,
    kForbidden,
    kNotFound,
    kMethodNotAllowed,
    kConflict,
    kPreconditionFailed,
    kPayloadTooLarge,
    kUnprocessable,
    kRateLimited,
    kUnavailable,
    kInternal,
};

// Every error a client can see. The public strings are SPEC.md's; describe() gives each row.
enum class Code {
    // Routing and ids (SPEC §1, §2).
    kNotFound,
    kMethodNotAllowed,
    kInvalidPodId,
    kInvalidStreamId,
    kInvalidAlias,
    kInvalidIndex,
    kInvalidRange,
    kInvalidInput,
    kPayloadTooLarge,
    // Who is calling (SPEC §4).
    kUnauthorized,
    kUnauthenticated,
    kInvalidToken,
    kTokenExpired,
    kPodMismatch,
    kNoSession,
    kForbidden,
    kCrossOriginRequest,  // a cookie-authenticated state change from another origin (SPEC §9)
    // What is missing or taken.
    kPodNotFound,
    kStreamNotFound,
    kRecordNotFound,
    kSessionNotFound,
    kAliasExists,
    kConflict,
    kRateLimitExceeded,
    // Coordination (SPEC §11).
    kPreconditionFailed,
    kIdempotencyKeyReused,
    // Login (SPEC §3).
    kInvalidProvider,
    kInvalidCallback,
    kInvalidState,
    kMissingPod,
    kMissingToken,
    kOAuthRefused,      // the provider answered, and said no
    kOAuthUnavailable,  // the provider could not be reached or answered nonsense
    // Our own machinery.
    kSigningUnavailable,  // no checkpoint key configured (SPEC §7, §12)
    kDatabaseUnavailable,
    kLiveReadersFull,  // a worker process holds live.maxSubscribers live reads already
    kInternalError,
};

struct CodeInfo {
    Kind kind;
    std::string_view name;     // the public code: "STREAM_NOT_FOUND"
    std::string_view message;  // the default human text
};

// The catalogue row of a code.
CodeInfo describe(Code code);

// Thrown anywhere below the worker loop, which holds the only catch-all. `message` replaces the
// catalogue's default when a more precise text helps the client ("limit must be a positive
// integer"); `detail` goes to the log only (SQL text, library errors), never to the client.
class Error : public std::runtime_error {
public:
    explicit Error(Code code, std::string message = {}, std::string detail = {});

    Code code() const noexcept { return code_; }
    Kind kind() const noexcept { return describe(code_).kind; }
    std::string_view public_code() const noexcept { return describe(code_).name; }
    const std::string& message() const noexcept { return message_; }
    const std::string& detail() const noexcept { return detail_; }

    using Headers = std::vector<std::pair<std::string, std::string>>;

    // Extra response headers for this error, e.g. Retry-After on a 429, Allow on a 405: on an
    // error in flight (`catch (Error& e)`), or chained on a new one before it is thrown.
    Error& with_header(std::string name, std::string value) & {
        headers_.emplace_back(std::move(name), std::move(value));
        return *this;
    }
    Error with_header(std::string name, std::string value) && {
        headers_.emplace_back(std::move(name), std::move(value));
        return std::move(*this);
    }
    Error with_headers(Headers headers) && {
        for (auto& header : headers) {
            headers_.push_back(std::move(header));
        }
        return std::move(*this);
    }
    const Headers& headers() const noexcept { return headers_; }

private:
    Code code_;
    std::string message_;
    std::string detail_;
    Headers headers_;
};

// An Internal error whose detail (for the log) says what broke.
Error internal_error(std::string detail);

}  // namespace webpods::errors
