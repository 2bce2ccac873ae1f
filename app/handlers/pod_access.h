// Shared steps of pod handlers: who the caller is, what they may do, and creating a pod.
#pragma once

#include <optional>
#include <string>

#include "auth/principal.h"
#include "handlers/context.h"
#include "http/error.h"
#include "permissions/permissions.h"
#include "store/records.h"
#include "store/streams.h"

namespace webpods::handlers {

inline constexpr std::string_view kOwnerStream = ".meta/owner";
inline constexpr std::string_view kLinksStream = ".meta/links";
inline constexpr std::string_view kStreamsListing = ".meta/streams";
inline constexpr std::string_view kJsonType = "application/json";

bool is_system_stream(std::string_view stream_id);

// 403 FORBIDDEN, the answer to every permission refusal.
http::Error forbidden();

// The caller of a read: anonymous, or a token for this pod or a global one. Throws
// INVALID_TOKEN, TOKEN_EXPIRED, POD_MISMATCH.
std::optional<auth::Principal> authenticate_reader(RequestContext& context, const std::string& pod);

// The caller of a write or delete: a token bound to this pod. Throws UNAUTHORIZED when there is
// no token, POD_MISMATCH when it is not for this pod, and the token errors.
auth::Principal authenticate_writer(RequestContext& context, const std::string& pod);

// The permission subject of a caller; it views the principal, which must outlive it.
permissions::Subject subject_of(const auth::Principal& principal);
permissions::Subject subject_of(const std::optional<auth::Principal>& principal);

// Whether the subject may read or write the context's stream (which must be set); loads the
// allow list through the worker cache when the stream names one.
bool may(RequestContext& context,
         const permissions::Subject& subject,
         permissions::Action action,
         const store::PodContext& pod);

// Creates the pod with its .meta/owner stream and owner record in one transaction, owned by
// the writer. Returns the pod's context for stream_id (created by whoever won a race).
store::PodContext create_pod(RequestContext& context,
                             const std::string& pod,
                             const std::string& stream_id,
                             const auth::Principal& owner);

// The pod's context, or POD_NOT_FOUND.
store::PodContext require_pod(RequestContext& context,
                              const std::string& pod,
                              const std::string& stream_id);

}  // namespace webpods::handlers
