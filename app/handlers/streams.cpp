// Stream handlers: the write path of a record starts at write_record.
#include "handlers/streams.h"

#include <algorithm>
#include <functional>

#include "errors/errors.h"
#include "handlers/live.h"
#include "handlers/pod_access.h"
#include "handlers/pods.h"
#include "handlers/proofs.h"
#include "handlers/rate_limit.h"
#include "handlers/record_view.h"
#include "ids/ids.h"
#include "json/recognizer.h"
#include "json/writer.h"
#include "store/records.h"
#include "store/streams.h"

namespace webpods::handlers {

namespace {

using errors::Code;
using errors::Error;

constexpr long long kDefaultListLimit = 100;
constexpr long long kMaxListLimit = 1000;  // records in one list or range answer (SPEC §10)
// Room kept in the response budget for what follows the records array: the range or total,
// has_more and next_index, each number at most 19 digits.
constexpr std::size_t kAnswerTailBytes = 128;

// SPEC §2: access is honoured only when this write creates the stream.
std::string access_of(const http::QueryParams& query) {
    const auto found = query.find("access");
    if (found == query.end() || found->second.empty()) {
        return "public";
    }
    const std::string& access = found->second;
    if (access == "public" || access == "private") {
        return access;
    }
    if (access.size() > 1 && access.front() == '/' &&
        ids::is_valid_stream_id(std::string_view(access).substr(1))) {
        return access;
    }
    throw Error(Code::kInvalidInput, "access must be public, private or /{stream}");
}

long long index_from_end(long long index, long long count) {
    return index < 0 ? count + index : index;
}

// How a read reached its record: by the stream's path and an index, or indirectly, through the
// pod's .meta/links or an alias path (whose integer fallback an alias may take over later).
// What an indirect URL means can change, so its answers are never cached as immutable.
enum class Reached { kDirectly, kIndirectly };

// `prefetched` is the record the context statement already read for this index, if any.
http::Response record_by_index(RequestContext& context,
                               const store::PodContext& pod,
                               const store::Stream& stream,
                               long long requested,
                               Reached reached,
                               std::optional<store::Record> prefetched = std::nullopt) {
    const long long index = index_from_end(requested, stream.head.record_count);
    if (index < 0 || index >= stream.head.record_count) {
        throw Error(Code::kRecordNotFound);
    }
    auto record = prefetched && prefetched->index == index
                      ? std::move(prefetched)
                      : store::find_record_by_index(context.tx(), stream.head.id, index);
    if (!record) {
        throw Error(Code::kRecordNotFound);
    }
    const bool fixed = requested >= 0 && reached == Reached::kDirectly;
    return raw_record_response(context.request,
                               std::move(*record),
                               fixed ? Caching::kImmutable : Caching::kRevalidate,
                               pod.owner_auth_id);
}

// What write_records put in an answer's "records" array.
struct Written {
    long long count = 0;
    long long last_index = -1;  // when count > 0
};

// Writes the records of [first, end) into writer as the value of "records", one row at a time
// as PostgreSQL hands them over, and stops before the answer would pass server.maxResponseSize
// (SPEC §10): each record's size is known before any of it is written. The first record is
// written whatever its size. The records are consecutive from first.
Written write_records(RequestContext& context,
                      const store::Stream& stream,
                      long long first,
                      long long end,
                      json::Writer& writer) {
    const auto budget = static_cast<std::size_t>(context.worker.config.max_response_size);
    Written written;
    writer.begin_array();
    store::for_each_record(
        context.tx(),
        stream.head.id,
        first,
        std::min(end, first + kMaxListLimit),
        context.worker.config.max_response_size,
        [&](const store::RecordView& record) {
            const std::size_t separator = written.count > 0 ? 1 : 0;
            if (written.count > 0 &&
                writer.size() + separator + record_json_size(record) + kAnswerTailBytes > budget) {
                return false;
            }
            write_record_json(writer, record);
            ++written.count;
            written.last_index = record.index;
            return true;
        });
    writer.end_array();
    return written;
}

// A JSON answer whose text `write` produces into a streaming writer: it goes to the client
// piece by piece while the request's transaction reads the rows (http::Response::produce_body).
// `write` runs inside the pipeline, where `context` still lives but the handler's locals (a pod
// context it loaded, say) do not: it captures what else it needs by value.
http::Response streamed_json(std::function<void(json::Writer&)> write) {
    http::Response response = http::Response::json(200, {});
    response.produce_body = [write = std::move(write)](const http::BodySink& sink) {
        json::Writer writer(sink);
        write(writer);
        writer.flush();
    };
    return response;
}

http::Response record_range(RequestContext& context,
                            const store::Stream& stream,
                            long long first,
                            long long end) {
    const long long count = stream.head.record_count;
    const auto clamp = [count](long long bound) {
        return std::clamp(index_from_end(bound, count), 0LL, count);
    };
    first = clamp(first);
    end = clamp(end);
    if (first > end) {
        throw Error(Code::kInvalidRange);
    }
    return streamed_json([&context, stream, first, end](json::Writer& writer) {
        writer.begin_object().key("records");
        const Written written = write_records(context, stream, first, end, writer);
        const long long returned_end = first + written.count;
        writer.key("range").begin_object().key("start").integer(first);
        writer.key("end").integer(returned_end).end_object();
        writer.key("total").integer(written.count);
        if (returned_end < end) {
            writer.key("has_more").boolean(true);
        }
        writer.end_object();
    });
}

long long positive_limit(const http::QueryParams& query) {
    const auto found = query.find("limit");
    if (found == query.end()) {
        return kDefaultListLimit;
    }
    const auto limit = ids::parse_integer(found->second);
    if (!limit || *limit <= 0) {
        throw Error(Code::kInvalidInput, "limit must be a positive integer");
    }
    return std::min<long long>(*limit, kMaxListLimit);
}

http::Response record_list(RequestContext& context, const store::PodContext& pod) {
    const store::Stream& stream = *pod.stream;
    const long long count = stream.head.record_count;
    const long long limit = positive_limit(context.query);
    const std::optional<int> wait = wait_seconds(context.query, context.request.method);
    long long first = 0;
    const auto after = context.query.find("after");
    if (after != context.query.end()) {
        const auto value = ids::parse_integer(after->second);
        if (!value) {
            throw Error(Code::kInvalidInput, "after must be an integer");
        }
        first = *value < 0 ? std::max(0LL, count + *value) : std::min(*value, count - 1) + 1;
    }
    first = std::min(first, count);
    if (wait && first == count) {
        return long_poll(context, pod, first, limit, *wait);  // SPEC §11
    }
    const long long end = std::min(count, first + limit);
    return streamed_json([&context, stream, first, end, count](json::Writer& writer) {
        writer.begin_object().key("records");
        const Written written = write_records(context, stream, first, end, writer);
        writer.key("total").integer(count);
        writer.key("has_more").boolean(first + written.count < count);
        writer.key("next_index");
        if (written.count > 0) {
            writer.integer(written.last_index);
        } else {
            writer.null();
        }
        writer.end_object();
    });
}

http::Response read_stream(RequestContext& context,
                           const store::PodContext& pod,
                           Reached reached,
                           std::optional<store::Record> prefetched) {
    const store::Stream& stream = *pod.stream;
    const auto index_parameter = context.query.find("i");
    if (index_parameter == context.query.end()) {
        return wants_event_stream(context.request) ? event_stream(context, pod)  // SPEC §11
                                                   : record_list(context, pod);
    }
    const auto index = ids::parse_index_query(index_parameter->second);
    if (!index) {
        throw Error(Code::kInvalidIndex);
    }
    if (index->end) {
        return record_range(context, stream, index->first, *index->end);
    }
    return record_by_index(context, pod, stream, index->first, reached, std::move(prefetched));
}

void require_read(RequestContext& context, const store::PodContext& pod) {
    if (!may(context, subject_of(context.principal), permissions::Action::kRead, pod)) {
        throw Error(Code::kForbidden);
    }
}

// Reads `path` as a stream, or as stream/alias (with the integer fallback) when no stream has
// that name; `whole` is the pod context loaded for `path`.
http::Response read_stream_or_alias(RequestContext& context,
                                    const std::string& path,
                                    store::PodContext whole,
                                    Reached reached) {
    const std::size_t last_slash = path.rfind('/');
    const bool has_index = context.query.count("i") > 0;
    // A checkpoint or a proof is of a stream, never of an alias path.
    const bool tree = asks_for_tree(context);
    if (whole.stream || has_index || tree || last_slash == std::string::npos) {
        if (!whole.stream) {
            throw Error(Code::kStreamNotFound);
        }
        require_read(context, whole);
        if (tree) {
            return read_tree(context, whole);
        }
        std::optional<store::Record> prefetched = std::move(whole.record);
        return read_stream(context, whole, reached, std::move(prefetched));
    }
    // Not a stream: the last segment names a record of the stream before it.
    const store::PodContext parent = require_pod(context, path.substr(0, last_slash));
    if (!parent.stream) {
        throw Error(Code::kStreamNotFound);
    }
    require_read(context, parent);
    const std::string alias = path.substr(last_slash + 1);
    if (ids::is_valid_alias(alias)) {
        auto record = store::find_record_by_alias(context.tx(), parent.stream->head.id, alias);
        if (record) {
            // An alias names whatever record holds it: it can be read before it exists.
            return raw_record_response(
                context.request, std::move(*record), Caching::kRevalidate, parent.owner_auth_id);
        }
    }
    const auto index = ids::parse_integer(alias);
    if (!index) {
        throw Error(Code::kRecordNotFound);
    }
    return record_by_index(context, parent, *parent.stream, *index, Reached::kIndirectly);
}

// The SPEC §11 conditions of an append, as store::NewRecord takes them.
struct AppendConditions {
    std::optional<std::string> if_match;
    std::optional<std::string> if_none_match;
    std::optional<std::string> idempotency_key;
};

std::optional<std::string> entity_tags(const http::Request& request,
                                       std::string_view name,
                                       http::TagComparison comparison) {
    if (request.headers.count(name) == 0) {
        return std::nullopt;
    }
    auto tags = http::parse_entity_tags(request.header(name), comparison);
    if (!tags) {
        throw Error(Code::kInvalidInput, std::string(name) + " is not a list of entity tags");
    }
    return tags;
}

AppendConditions append_conditions(const http::Request& request) {
    AppendConditions conditions;
    conditions.if_match = entity_tags(request, "if-match", http::TagComparison::kStrong);
    conditions.if_none_match = entity_tags(request, "if-none-match", http::TagComparison::kWeak);
    if (request.headers.count("idempotency-key") != 0) {
        conditions.idempotency_key = std::string(request.header("idempotency-key"));
        if (!ids::is_valid_idempotency_key(*conditions.idempotency_key)) {
            throw Error(Code::kInvalidInput, "Idempotency-Key must be 1-128 printable characters");
        }
    }
    return conditions;
}

// 412 with the head the condition was checked against (SPEC §11).
Error precondition_failed(long long head_index, const std::string& head_hash) {
    Error error(Code::kPreconditionFailed);
    if (!head_hash.empty()) {
        error.with_header("ETag", "\"" + head_hash + "\"");
    }
    error.with_header("X-Head-Index", std::to_string(head_index));
    return error;
}

}  // namespace

http::Response write_record(RequestContext& context) {
    const auth::Principal& writer = require_caller(context);
    const std::string& stream_id = context.route.stream_id;
    // .meta/owner and .meta/links have handlers of their own; other .meta paths are reserved.
    if (is_system_stream(stream_id)) {
        throw Error(Code::kForbidden);
    }
    const auto alias_parameter = context.query.find("alias");
    const std::string alias =
        alias_parameter == context.query.end() ? std::string{} : alias_parameter->second;
    if (!alias.empty() && !ids::is_valid_alias(alias)) {
        throw Error(Code::kInvalidAlias);
    }
    const std::string content_type = record_content_type(context.request);
    const std::string& body = context.request.body;
    if (is_json_type(content_type) && !json::is_valid(body)) {
        throw Error(Code::kInvalidInput, "Body is not valid JSON");
    }
    const std::string access = access_of(context.query);
    const AppendConditions conditions = append_conditions(context.request);

    store::PodContext pod_context =
        context.pod ? std::move(*context.pod) : create_pod(context, stream_id);
    const permissions::Subject subject = subject_of(writer);
    if (!pod_context.stream) {
        if (!permissions::is_owner(subject, pod_context.owner_id)) {
            throw Error(Code::kForbidden);
        }
        if (conditions.if_match) {
            throw precondition_failed(-1, {});  // no stream, no head to match: create nothing
        }
        // Only the request that creates the stream counts a creation; over the limit, the
        // creation and its count roll back together.
        store::Atomic atomic(context.tx());
        if (store::insert_stream(
                context.tx(), pod_context.pod_id, stream_id, access, writer.user_id)) {
            charge(context, RateAction::kStreamCreate);
        }
        atomic.commit();
        pod_context = require_pod(context, stream_id);  // whoever created it, it exists now
        if (!pod_context.stream) {
            throw Error(Code::kStreamNotFound);
        }
    }
    if (!may(context, subject, permissions::Action::kWrite, pod_context)) {
        throw Error(Code::kForbidden);
    }

    store::AppendResult appended = store::append_record(context.tx(),
                                                        pod_context.stream->head.id,
                                                        {body,
                                                         content_type,
                                                         alias,
                                                         writer.auth_id,
                                                         conditions.if_match,
                                                         conditions.if_none_match,
                                                         conditions.idempotency_key});
    switch (appended.outcome) {
        case store::AppendOutcome::kAppended:
            break;
        case store::AppendOutcome::kReplayed: {
            http::Response response = http::Response::json(201, record_json(appended.record));
            response.set_header("Idempotent-Replayed", "true");
            return response;
        }
        case store::AppendOutcome::kKeyReused:
            throw Error(Code::kIdempotencyKeyReused);
        case store::AppendOutcome::kPreconditionFailed:
            throw precondition_failed(appended.record.index, appended.record.hash);
    }
    return http::Response::json(201, record_json(appended.record));
}

http::Response read_path(RequestContext& context) {
    const std::string& stream_id = context.route.stream_id;
    const std::string path = "/" + stream_id;
    store::PodContext whole = std::move(require_loaded_pod(context));
    // The pod's routing table comes first: it is how a pod serves a website.
    if (whole.links) {
        if (auto target = find_link(context, *whole.links, path)) {
            const std::size_t question = target->find('?');
            std::string target_path = target->substr(0, question);
            if (target_path.empty() || target_path.front() != '/') {
                // Not insert(0, "/"): GCC 12 sees a false -Wrestrict in it once inlined here.
                target_path.insert(target_path.begin(), '/');
            }
            context.query = http::parse_query(question == std::string::npos
                                                  ? std::string_view{}
                                                  : std::string_view(*target).substr(question + 1));
            if (!ids::is_valid_stream_id(std::string_view(target_path).substr(1))) {
                throw Error(Code::kNotFound, "Link target is not a stream");
            }
            return read_stream_or_alias(context,
                                        target_path.substr(1),
                                        target_path == path
                                            ? std::move(whole)
                                            : require_pod(context, target_path.substr(1)),
                                        Reached::kIndirectly);
        }
    }
    if (stream_id.empty()) {
        throw Error(Code::kNotFound);
    }
    return read_stream_or_alias(context, stream_id, std::move(whole), Reached::kDirectly);
}

http::Response delete_stream(RequestContext& context) {
    const auth::Principal& principal = require_caller(context);
    if (is_system_stream(context.route.stream_id)) {
        throw Error(Code::kForbidden);
    }
    const store::PodContext& pod_context = require_loaded_pod(context);
    if (!pod_context.stream) {
        throw Error(Code::kStreamNotFound);
    }
    if (!permissions::can_delete_stream(
            subject_of(principal), pod_context.stream->creator_id, pod_context.owner_id)) {
        throw Error(Code::kForbidden);
    }
    store::delete_stream(context.tx(), pod_context.stream->head.id);
    return http::Response::empty(204);
}

}  // namespace webpods::handlers
