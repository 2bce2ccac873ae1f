// Authentication with pod binding, permission checks with cached allow lists, pod creation.
#include "handlers/pod_access.h"

#include "http/error.h"
#include "http/json.h"
#include "store/pods.h"

namespace webpods::handlers {

namespace {

http::Error pod_mismatch() {
    return {http::ErrorKind::kUnauthenticated, "POD_MISMATCH", "Token is not valid for this pod"};
}

std::optional<auth::Principal> authenticate_for_pod(RequestContext& context) {
    return auth::authenticate(context.request,
                              auth::TokenCookie::kPodToken,
                              context.worker.config.jwt_secret,
                              context.sql,
                              context.worker.cache.known_users());
}

}  // namespace

http::Error forbidden() { return {http::ErrorKind::kForbidden, "FORBIDDEN", "Access denied"}; }

bool is_system_stream(std::string_view stream_id) { return stream_id.rfind(".meta/", 0) == 0; }

std::optional<auth::Principal> authenticate_reader(RequestContext& context,
                                                   const std::string& pod) {
    auto principal = authenticate_for_pod(context);
    if (principal && principal->pod && *principal->pod != pod) {
        throw pod_mismatch();
    }
    return principal;
}

auth::Principal authenticate_writer(RequestContext& context, const std::string& pod) {
    auto principal = authenticate_for_pod(context);
    if (!principal) {
        throw http::Error(
            http::ErrorKind::kUnauthenticated, "UNAUTHORIZED", "Authentication required");
    }
    if (!principal->pod || *principal->pod != pod) {
        throw pod_mismatch();
    }
    return std::move(*principal);
}

permissions::Subject subject_of(const auth::Principal& principal) {
    return permissions::Subject{principal.user_id, principal.auth_id};
}

permissions::Subject subject_of(const std::optional<auth::Principal>& principal) {
    if (!principal) {
        return {};
    }
    return subject_of(*principal);
}

bool may(RequestContext& context,
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
        allow_list = context.worker.cache.allow_list(
            *pod.allow_list, [&context, &pod](long long first, long long end) {
                std::vector<std::string> contents;
                for (auto& record :
                     store::list_records(context.sql, pod.allow_list->id, first, end)) {
                    contents.push_back(std::move(record.content));
                }
                return contents;
            });
    }
    return permissions::can(
        subject, action, {stream.access_permission, stream.creator_id}, allow_list.get());
}

store::PodContext create_pod(RequestContext& context,
                             const std::string& pod,
                             const std::string& stream_id,
                             const auth::Principal& owner) {
    const std::string owner_json = R"({"owner":)" + http::json_quote(owner.user_id) + "}";
    store::create_pod(context.sql, pod, {owner.user_id, owner.auth_id}, owner_json);
    return require_pod(context, pod, stream_id);
}

store::PodContext require_pod(RequestContext& context,
                              const std::string& pod,
                              const std::string& stream_id) {
    auto loaded = store::load_pod_context(context.sql, pod, stream_id);
    if (!loaded) {
        throw http::Error(http::ErrorKind::kNotFound, "POD_NOT_FOUND", "Pod not found");
    }
    return std::move(*loaded);
}

}  // namespace webpods::handlers
