// The catalogue's rows: one switch without a default, so a new code cannot ship undescribed.
#include "errors/errors.h"

namespace webpods::errors {

CodeInfo describe(Code code) {
    switch (code) {
        case Code::kNotFound:
            return {Kind::kNotFound, "NOT_FOUND", "Not found"};
        case Code::kMethodNotAllowed:
            return {Kind::kMethodNotAllowed, "METHOD_NOT_ALLOWED", "Method not allowed"};
        case Code::kInvalidPodId:
            return {Kind::kInvalidInput, "INVALID_POD_ID", "Invalid pod id"};
        case Code::kInvalidStreamId:
            return {Kind::kInvalidInput, "INVALID_STREAM_ID", "Invalid stream id"};
        case Code::kInvalidAlias:
            return {Kind::kInvalidInput, "INVALID_ALIAS", "Invalid alias"};
        case Code::kInvalidIndex:
            return {Kind::kInvalidInput, "INVALID_INDEX", "i must be N or A:B"};
        case Code::kInvalidRange:
            return {Kind::kInvalidInput, "INVALID_RANGE", "Range start is after its end"};
        case Code::kInvalidInput:
            return {Kind::kInvalidInput, "INVALID_INPUT", "Invalid input"};
        case Code::kPayloadTooLarge:
            return {Kind::kPayloadTooLarge, "PAYLOAD_TOO_LARGE", "Request body too large"};
        case Code::kUnauthorized:
            return {Kind::kUnauthenticated, "UNAUTHORIZED", "Authentication required"};
        case Code::kUnauthenticated:
            return {Kind::kUnauthenticated, "UNAUTHENTICATED", "Authentication required"};
        case Code::kInvalidToken:
            return {Kind::kUnauthenticated, "INVALID_TOKEN", "Invalid token"};
        case Code::kTokenExpired:
            return {Kind::kUnauthenticated, "TOKEN_EXPIRED", "Token expired"};
        case Code::kPodMismatch:
            return {Kind::kUnauthenticated, "POD_MISMATCH", "Token is not valid for this pod"};
        case Code::kNoSession:
            return {Kind::kUnauthenticated, "NO_SESSION", "No session"};
        case Code::kForbidden:
            return {Kind::kForbidden, "FORBIDDEN", "Access denied"};
        case Code::kCrossOriginRequest:
            return {Kind::kForbidden,
                    "CROSS_ORIGIN_REQUEST",
                    "Cookie-authenticated changes must come from this site's own pages"};
        case Code::kPodNotFound:
            return {Kind::kNotFound, "POD_NOT_FOUND", "Pod not found"};
        case Code::kStreamNotFound:
            return {Kind::kNotFound, "STREAM_NOT_FOUND", "Stream not found"};
        case Code::kRecordNotFound:
            return {Kind::kNotFound, "RECORD_NOT_FOUND", "Record not found"};
        case Code::kSessionNotFound:
            return {Kind::kNotFound, "SESSION_NOT_FOUND", "Session not found"};
        case Code::kPreconditionFailed:
            return {Kind::kPreconditionFailed,
                    "PRECONDITION_FAILED",
                    "The stream's head does not match the request's condition"};
        case Code::kIdempotencyKeyReused:
            return {Kind::kUnprocessable,
                    "IDEMPOTENCY_KEY_REUSED",
                    "This Idempotency-Key was used for a different request"};
        case Code::kAliasExists:
            return {Kind::kConflict, "ALIAS_EXISTS", "Alias already exists in this stream"};
        case Code::kConflict:
            return {Kind::kConflict, "CONFLICT", "Conflicts with existing data"};
        case Code::kRateLimitExceeded:
            return {Kind::kRateLimited, "RATE_LIMIT_EXCEEDED", "Rate limit exceeded"};
        case Code::kInvalidProvider:
            return {Kind::kInvalidInput, "INVALID_PROVIDER", "Unknown login provider"};
        case Code::kInvalidCallback:
            return {Kind::kInvalidInput, "INVALID_CALLBACK", "Missing code or state"};
        case Code::kInvalidState:
            return {Kind::kInvalidInput, "INVALID_STATE", "Unknown, expired or used state"};
        case Code::kMissingPod:
            return {Kind::kInvalidInput, "MISSING_POD", "Missing pod"};
        case Code::kMissingToken:
            return {Kind::kInvalidInput, "MISSING_TOKEN", "Missing token"};
        case Code::kOAuthRefused:
            return {Kind::kInvalidInput, "OAUTH_ERROR", "The login provider refused the login"};
        case Code::kOAuthUnavailable:
            return {Kind::kUnavailable,
                    "OAUTH_ERROR",
                    "The login provider could not complete the login"};
        case Code::kSigningUnavailable:
            return {
                Kind::kUnavailable, "SIGNING_UNAVAILABLE", "Checkpoint signing is not configured"};
        case Code::kDatabaseUnavailable:
            return {Kind::kUnavailable, "DATABASE_UNAVAILABLE", "Database unavailable"};
        case Code::kLiveReadersFull:
            return {Kind::kUnavailable, "UNAVAILABLE", "Too many live readers; retry later"};
        case Code::kInternalError:
            return {Kind::kInternal, "INTERNAL_ERROR", "Internal error"};
    }
    return {Kind::kInternal, "INTERNAL_ERROR", "Internal error"};
}

Error::Error(Code code, std::string message, std::string detail)
    : std::runtime_error(message.empty() ? std::string(describe(code).message) : message),
      code_(code),
      message_(message.empty() ? std::string(describe(code).message) : std::move(message)),
      detail_(std::move(detail)) {}

Error internal_error(std::string detail) {
    return Error(Code::kInternalError, {}, std::move(detail));
}

}  // namespace webpods::errors
