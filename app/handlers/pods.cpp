// Pod handlers: DELETE /, .meta/streams, .meta/owner, .meta/links.
#include "handlers/pods.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "errors/errors.h"
#include "handlers/pod_access.h"
#include "handlers/record_view.h"
#include "json/recognizer.h"
#include "json/writer.h"
#include "store/pods.h"
#include "store/records.h"
#include "store/streams.h"
#include "store/users.h"

namespace webpods::handlers {

namespace {

using errors::Code;
using errors::Error;

Error invalid_input(const char* message) { return Error(Code::kInvalidInput, message); }

// The body of a system record (SPEC §9: always application/json, so that no HTML form of another
// site can send one) as a JSON object, or INVALID_INPUT.
Poco::JSON::Object::Ptr json_object_body(const http::Request& request) {
    if (!is_json_type(record_content_type(request))) {
        throw invalid_input("System records must be sent as application/json");
    }
    const std::string& body = request.body;
    if (!json::is_valid(body)) {
        throw invalid_input("Body must be a JSON object");
    }
    try {
        Poco::JSON::Parser parser;
        auto object = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
        if (object.isNull()) {
            throw invalid_input("Body must be a JSON object");
        }
        return object;
    } catch (const Poco::Exception&) {
        throw invalid_input("Body must be a JSON object");
    }
}

}  // namespace

http::Response delete_pod(RequestContext& context) {
    const auth::Principal& principal = require_caller(context);
    const store::PodContext& pod_context = require_loaded_pod(context);
    if (!permissions::is_owner(subject_of(principal), pod_context.owner_id)) {
        throw Error(Code::kForbidden);
    }
    store::delete_pod(context.tx(), pod_context.pod_id);
    return http::Response::empty(204);
}

http::Response list_streams(RequestContext& context) {
    const permissions::Subject subject = subject_of(context.principal);
    const store::PodContext& pod_context = require_loaded_pod(context);
    json::Writer answer;
    answer.begin_object().key("pod").string(context.route.pod).key("streams").begin_array();
    for (auto& listed : store::list_streams(context.tx(), pod_context.pod_id)) {
        // Each stream is judged as if it had been requested, allow list included.
        const store::Stream& stream = listed.stream;
        store::PodContext candidate = pod_context;
        candidate.stream = stream;
        candidate.allow_list = listed.allow_list;
        candidate.allow_list_creator_auth_id = listed.allow_list_creator_auth_id;
        if (!may(context, subject, permissions::Action::kRead, candidate)) {
            continue;
        }
        answer.begin_object()
            .key("stream_id")
            .string(stream.name)
            .key("access_permission")
            .string(stream.access_permission)
            .key("creator_id")
            .string(stream.creator_id)
            .key("created_at")
            .string(stream.created_at)
            .end_object();
    }
    answer.end_array().end_object();
    return http::Response::json(200, std::move(answer).take());
}

http::Response transfer_owner(RequestContext& context) {
    const auth::Principal& principal = require_caller(context);
    const store::PodContext& pod_context = require_loaded_pod(context);
    if (!permissions::is_owner(subject_of(principal), pod_context.owner_id)) {
        throw Error(Code::kForbidden);
    }
    const auto body = json_object_body(context.request);
    if (!body->has("owner") || !body->get("owner").isString()) {
        throw invalid_input("owner must be a user id");
    }
    const auto new_owner =
        store::find_user_by_id(context.tx(), body->getValue<std::string>("owner"));
    if (!new_owner) {
        throw invalid_input("owner names no user");
    }
    if (!pod_context.stream) {
        throw errors::internal_error("pod without .meta/owner");
    }
    const std::string record =
        json::Writer().begin_object().key("owner").string(new_owner->id).end_object().text();
    // The owner is checked again inside the transaction: of two transfers racing from the same
    // owner, the second finds the pod already handed over.
    store::Atomic atomic(context.tx());
    if (!store::transfer_pod(atomic,
                             pod_context.pod_id,
                             pod_context.stream->head.id,
                             {principal.user_id, principal.auth_id},
                             new_owner->id,
                             record)) {
        throw Error(Code::kForbidden);
    }
    atomic.commit();
    return http::Response::json(201, R"({"success":true})");
}

http::Response set_links(RequestContext& context) {
    const auth::Principal& principal = require_caller(context);
    store::PodContext pod_context = require_loaded_pod(context);
    if (!permissions::is_owner(subject_of(principal), pod_context.owner_id)) {
        throw Error(Code::kForbidden);
    }
    const auto body = json_object_body(context.request);
    for (const auto& [path, target] : *body) {
        if (!target.isString()) {
            throw invalid_input("Every link target must be a string");
        }
    }
    if (!pod_context.stream) {
        store::insert_stream(context.tx(),
                             pod_context.pod_id,
                             std::string(kLinksStream),
                             "private",
                             principal.user_id);
        pod_context = require_pod(context, std::string(kLinksStream));
    }
    store::append_record(context.tx(),
                         pod_context.stream->head.id,
                         {context.request.body, kJsonType, {}, principal.auth_id});
    return http::Response::json(201, R"({"success":true})");
}

std::optional<std::string> find_link(RequestContext& context,
                                     const store::StreamHead& head,
                                     const std::string& path) {
    if (head.record_count == 0) {
        return std::nullopt;
    }
    const auto table = context.worker.cache.links(head, [&context, &head] {
        LinkTable links;
        const auto latest =
            store::find_record_by_index(context.tx(), head.id, head.record_count - 1);
        if (!latest) {
            return links;
        }
        try {
            Poco::JSON::Parser parser;
            const auto object = parser.parse(latest->content).extract<Poco::JSON::Object::Ptr>();
            for (const auto& [key, target] : *object) {
                if (target.isString()) {
                    links.emplace(key, target.convert<std::string>());
                }
            }
        } catch (const Poco::Exception&) {
            // Validated on write; an unreadable table routes nothing.
        }
        return links;
    });
    const auto found = table->find(path);
    if (found == table->end()) {
        return std::nullopt;
    }
    return found->second;
}

}  // namespace webpods::handlers
