// Live reads (SPEC §11) on the accept thread's side: a long poll or an event stream is checked
// and answered up to what exists now, then left to the worker's live hub (live/hub.h) with a
// live::Subscription, so no accept thread waits for records. Also the texts the hub writes.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "handlers/context.h"
#include "http/request.h"
#include "http/response.h"
#include "live/subscription.h"
#include "store/streams.h"
#include "store/types.h"

namespace webpods::handlers {

// Whether the request asks for an event stream: a GET whose Accept names text/event-stream.
bool wants_event_stream(const http::Request& request);

// The list parameter ?wait=S of a GET: nullopt when absent (and for HEAD, which answers at
// once). Throws Error(INVALID_INPUT) unless S is an integer from 1 to 30.
std::optional<int> wait_seconds(const http::QueryParams& query, http::Method method);

// GET /{stream} as an event stream, for a caller already allowed to read pod's stream: the head
// and the records after Last-Event-ID (else ?after, else none: only new records), as many as a
// list holds; the hub sends the rest and what follows. Throws Error(INVALID_INPUT) for a
// Last-Event-ID that is not a non-negative integer or an ?after that is not an integer.
http::Response event_stream(RequestContext& context, const store::PodContext& pod);

// A list that found no record at `first`, the stream's count: answered by the hub as soon as a
// record is there, or with no records after `wait` seconds.
http::Response long_poll(RequestContext& context,
                         const store::PodContext& pod,
                         long long first,
                         long long limit,
                         int wait);

// One record as an event: "id: <index>\nevent: record\ndata: <its JSON as in lists>\n\n", the
// JSON on one line.
std::string record_event(const store::RecordView& record);

enum class EndReason { kForbidden, kDeleted };

// The last event of a stream: "event: end\ndata: {"reason":"forbidden"|"deleted"}\n\n".
std::string end_event(EndReason reason);

// The comment a silent event stream gets at least every live.keepaliveSeconds.
inline constexpr std::string_view kKeepaliveEvent = ": keepalive\n\n";

// A long poll's answer, a list as in SPEC §2: records[offset..] (consecutive), at most `limit`
// of them and within `budget` bytes (the first whatever its size); total is the stream's count.
std::string list_json(const std::vector<store::Record>& records,
                      std::size_t offset,
                      long long limit,
                      long long total,
                      std::size_t budget);

// Whether `reader` may still read pod's stream (the hub's re-check after its access facts
// changed, or its token expired: an expired reader is checked as anonymous).
bool may_still_read(WorkerCache& cache,
                    store::Tx& tx,
                    const live::Reader& reader,
                    const store::PodContext& pod);

}  // namespace webpods::handlers
