// Permission checks with cached allow lists, and pod creation.
#include "handlers/pod_access.h"

#include "handlers/rate_limit.h"
#include "json/writer.h"
#include "store/pods.h"
#include "store/records.h"

namespace webpods::handlers {

store::Tx& RequestContext::tx() const {
    if (database == nullptr) {
        throw errors::internal_error("route leases no database session");
    }
    return *database;
}

bool is_system_stream(std::string_view stream_id) { return stream_id.rfind(".meta/", 0) == 0; }

permissions::Subject subject_of(const auth::Principal& principal) {
    return permissions::Subject{principal.user_id, principal.auth_id};
}

permissions::Subject subject_of(const std::optional<auth::Principal>& principal) {
    if (!principal) {
        return {};
    }
    return subject_of(*principal);
}

const auth::Principal& require_caller(const RequestContext& context) {
    if (!context.principal) {
        throw errors::internal_error("route requires a caller the pipeline did not establish");
    }
    return *context.principal;
}

bool may(RequestContext& context,
         const permissions::Subject& subject,
         permissions::Action action,
         const store::PodContext& pod) {
    return may(context.worker.cache, context.tx(), subject, action, pod);
}

bool may(WorkerCache& cache,
         store::Tx& tx,
         const permissions::Subject& subject,
         permissions::Action action,
         const store::PodContext& pod) {
    const store::Stream& stream = *pod.stream;
    // System streams belong to whoever owns the pod now, not to the stream's creator.
    if (is_system_stream(stream.name)) {
        return permissions::is_owner(subject, pod.owner_id);
    }
    std::shared_ptr<const permissions::AllowList> allow_list;
    if (pod.allow_list && stream.access_permission.front() == '/') {
        allow_list = cache.allow_list(pod, [&tx, &pod](long long first, long long end) {
            return store::list_records(tx, pod.allow_list->id, first, end);
        });
    }
    return permissions::can(
        subject, action, {stream.access_permission, stream.creator_id}, allow_list.get());
}

store::PodContext create_pod(RequestContext& context, const std::string& stream_id) {
    const auth::Principal& owner = require_caller(context);
    const std::string owner_json =
        json::Writer().begin_object().key("owner").string(owner.user_id).end_object().text();
    // Only the request that creates the pod counts a creation; over the limit, the pod and its
    // count roll back together.
    store::Atomic atomic(context.tx());
    if (store::create_pod(atomic, context.route.pod, {owner.user_id, owner.auth_id}, owner_json)) {
        charge(context, RateAction::kPodCreate);
        atomic.commit();
    }
    return require_pod(context, stream_id);
}

store::PodContext require_pod(RequestContext& context, const std::string& stream_id) {
    auto loaded = store::load_pod_context(context.tx(), context.route.pod, stream_id);
    if (!loaded) {
        throw errors::Error(errors::Code::kPodNotFound);
    }
    return std::move(*loaded);
}

store::PodContext& require_loaded_pod(RequestContext& context) {
    if (!context.pod) {
        throw errors::Error(errors::Code::kPodNotFound);
    }
    return *context.pod;
}

}  // namespace webpods::handlers
