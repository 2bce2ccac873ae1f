// Live reads, the accept thread's half: check, answer what exists, leave the rest to the hub.
#include "handlers/live.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <memory>
#include <utility>

#include "errors/errors.h"
#include "handlers/pod_access.h"
#include "handlers/record_view.h"
#include "ids/ids.h"
#include "json/writer.h"
#include "store/records.h"

namespace webpods::handlers {

namespace {

using errors::Code;
using errors::Error;

constexpr int kMaxWaitSeconds = 30;
constexpr long long kMaxBacklog = 1000;  // records an event stream's first answer holds
// Room kept in a list answer for what follows the records array (as handlers/streams.cpp).
constexpr std::size_t kAnswerTailBytes = 128;

// Where an event stream starts: after Last-Event-ID, else after ?after (a negative one counts
// from the end, as in lists), else at the head. An id or after past the head is taken at its
// word: the reader is sent what comes after it, nothing before.
long long first_event(const RequestContext& context, long long count) {
    const std::string_view last_event_id = context.request.header("last-event-id");
    if (!last_event_id.empty()) {
        const auto id = ids::parse_integer(last_event_id);
        if (!id || *id < 0 || last_event_id.front() == '-' ||
            *id == std::numeric_limits<long long>::max()) {
            throw Error(Code::kInvalidInput, "Last-Event-ID must be a non-negative integer");
        }
        return *id + 1;
    }
    const auto after = context.query.find("after");
    if (after == context.query.end()) {
        return count;
    }
    const auto value = ids::parse_integer(after->second);
    if (!value) {
        throw Error(Code::kInvalidInput, "after must be an integer");
    }
    if (*value < 0) {
        return std::max(0LL, count + *value);
    }
    return *value == std::numeric_limits<long long>::max() ? *value : *value + 1;
}

std::shared_ptr<live::Subscription> subscription_of(const RequestContext& context,
                                                    const store::PodContext& pod,
                                                    live::Mode mode,
                                                    long long next_index) {
    auto subscription = std::make_shared<live::Subscription>();
    subscription->mode = mode;
    subscription->pod = context.route.pod;
    subscription->stream_name = pod.stream->name;
    subscription->pod_id = pod.pod_id;
    subscription->stream_id = pod.stream->head.id;
    subscription->next_index = next_index;
    subscription->access = store::access_facts(pod);
    if (context.principal) {
        subscription->reader = {
            context.principal->user_id, context.principal->auth_id, context.principal->expires_at};
    }
    return subscription;
}

}  // namespace

bool wants_event_stream(const http::Request& request) {
    if (request.method != http::Method::kGet) {
        return false;
    }
    std::string_view accept = request.header("accept");
    while (!accept.empty()) {
        const std::size_t comma = accept.find(',');
        const std::string_view entry = accept.substr(0, comma);
        if (media_type_of(entry) == "text/event-stream") {
            return true;
        }
        accept = comma == std::string_view::npos ? std::string_view{} : accept.substr(comma + 1);
    }
    return false;
}

std::optional<int> wait_seconds(const http::QueryParams& query, http::Method method) {
    const auto found = query.find("wait");
    if (found == query.end()) {
        return std::nullopt;
    }
    const auto wait = ids::parse_integer(found->second);
    if (!wait || *wait < 1 || *wait > kMaxWaitSeconds) {
        throw Error(Code::kInvalidInput, "wait must be an integer from 1 to 30");
    }
    if (method != http::Method::kGet) {
        return std::nullopt;
    }
    return static_cast<int>(*wait);
}

http::Response event_stream(RequestContext& context, const store::PodContext& pod) {
    const store::Stream& stream = *pod.stream;
    const long long count = stream.head.record_count;
    const long long first = first_event(context, count);
    const auto budget = static_cast<std::size_t>(context.worker.config.max_response_size);
    std::string backlog;
    long long next = first;
    if (first < count) {
        store::for_each_record(context.tx(),
                               stream.head.id,
                               first,
                               std::min(count, first + kMaxBacklog),
                               context.worker.config.max_response_size,
                               [&](const store::RecordView& record) {
                                   std::string event = record_event(record);
                                   if (next > first && backlog.size() + event.size() > budget) {
                                       return false;
                                   }
                                   backlog += event;
                                   next = record.index + 1;
                                   return true;
                               });
    }
    http::Response response;
    response.status = 200;
    response.set_header("Content-Type", "text/event-stream");
    response.set_header("Cache-Control", "no-store");
    // nginx passes each piece on as it comes instead of buffering the answer (doc/live.md).
    response.set_header("X-Accel-Buffering", "no");
    response.body = std::move(backlog);
    response.subscription = subscription_of(context, pod, live::Mode::kEvents, next);
    return response;
}

http::Response long_poll(RequestContext& context,
                         const store::PodContext& pod,
                         long long first,
                         long long limit,
                         int wait) {
    http::Response response = http::Response::json(200, {});
    auto subscription = subscription_of(context, pod, live::Mode::kLongPoll, first);
    subscription->deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait);
    subscription->limit = limit;
    response.subscription = std::move(subscription);
    return response;
}

std::string record_event(const store::RecordView& record) {
    std::string data = record_json(record);
    // JSON content is embedded as stored. A line break in valid JSON can only be white space
    // between tokens (a string cannot hold a raw one), so a space takes its place and the event
    // stays one data line with the same JSON value.
    std::replace_if(
        data.begin(), data.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    return "id: " + std::to_string(record.index) + "\nevent: record\ndata: " + data + "\n\n";
}

std::string end_event(EndReason reason) {
    const std::string_view name = reason == EndReason::kForbidden ? "forbidden" : "deleted";
    return "event: end\ndata: " +
           json::Writer().begin_object().key("reason").string(name).end_object().text() + "\n\n";
}

std::string list_json(const std::vector<store::Record>& records,
                      std::size_t offset,
                      long long limit,
                      long long total,
                      std::size_t budget) {
    json::Writer writer;
    writer.begin_object().key("records").begin_array();
    long long written = 0;
    long long last_index = -1;
    for (std::size_t n = offset; n < records.size() && written < limit; ++n) {
        const json::Writer::Mark before = writer.mark();
        write_record_json(writer, records[n]);
        if (written > 0 && writer.text().size() + kAnswerTailBytes > budget) {
            writer.rewind(before);
            break;
        }
        ++written;
        last_index = records[n].index;
    }
    writer.end_array();
    writer.key("total")
        .integer(total)
        .key("has_more")
        .boolean(written > 0 && last_index + 1 < total);
    writer.key("next_index");
    if (written > 0) {
        writer.integer(last_index);
    } else {
        writer.null();
    }
    writer.end_object();
    return std::move(writer).take();
}

bool may_still_read(WorkerCache& cache,
                    store::Tx& tx,
                    const live::Reader& reader,
                    const store::PodContext& pod) {
    const permissions::Subject subject{reader.user_id, reader.auth_id};
    return may(cache, tx, subject, permissions::Action::kRead, pod);
}

}  // namespace webpods::handlers
