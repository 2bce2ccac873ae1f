// Shared steps of pod handlers: what the caller may do, and creating a pod.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "auth/principal.h"
#include "errors/errors.h"
#include "handlers/context.h"
#include "permissions/permissions.h"
#include "store/streams.h"

namespace webpods::handlers {

inline constexpr std::string_view kOwnerStream = ".meta/owner";
inline constexpr std::string_view kLinksStream = ".meta/links";
inline constexpr std::string_view kStreamsListing = ".meta/streams";
inline constexpr std::string_view kJsonType = "application/json";

bool is_system_stream(std::string_view stream_id);

// The permission subject of a caller; it views the principal, which must outlive it.
permissions::Subject subject_of(const auth::Principal& principal);
permissions::Subject subject_of(const std::optional<auth::Principal>& principal);

// The caller the pipeline authenticated on a route that requires one.
const auth::Principal& require_caller(const RequestContext& context);

// Whether the subject may read or write the context's stream (which must be set); loads the
// allow list through the worker cache when the stream names one.
bool may(RequestContext& context,
         const permissions::Subject& subject,
         permissions::Action action,
         const store::PodContext& pod);

// The same decision outside a request (the live hub's re-checks): allow lists are folded through
// `cache`, reading what it lacks on `tx`.
bool may(WorkerCache& cache,
         store::Tx& tx,
         const permissions::Subject& subject,
         permissions::Action action,
         const store::PodContext& pod);

// Creates the pod with its .meta/owner stream and owner record in one transaction, owned by
// the caller, and counts it as pod_create (Error(RATE_LIMIT_EXCEEDED) rolls it back). Returns
// the pod's context for stream_id (created by whoever won a race).
store::PodContext create_pod(RequestContext& context, const std::string& stream_id);

// The context of the route's pod for stream_id, or Error(POD_NOT_FOUND).
store::PodContext require_pod(RequestContext& context, const std::string& stream_id);

// The context the pipeline loaded for the route's stream, or Error(POD_NOT_FOUND).
store::PodContext& require_loaded_pod(RequestContext& context);

}  // namespace webpods::handlers
