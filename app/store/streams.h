// The pod and stream tables: everything a request needs to know about where it writes or reads.
#pragma once

#include <soci/session.h>

#include <optional>
#include <string>
#include <vector>

#include "store/rate_limits.h"
#include "store/record.h"

namespace webpods::store {

// The head of a stream's chain.
struct StreamHead {
    long long id = 0;
    long long record_count = 0;
    std::string last_hash;  // empty while the stream has no record
};

struct Stream {
    StreamHead head;
    std::string name;
    std::string access_permission;  // public | private | /{stream}
    std::string creator_id;         // uuid
    std::string created_at;         // ISO-8601 UTC
};

// One query's worth of facts about a pod and one of its streams: enough to decide permissions
// and to notice whether a worker's cached allow list or link table is still current.
struct PodContext {
    long long pod_id = 0;
    std::string owner_id;                  // uuid
    std::optional<Stream> stream;          // the requested stream, when it exists
    std::optional<StreamHead> allow_list;  // head of the stream's allow list, when it names one
    std::optional<StreamHead> links;       // head of .meta/links, when it exists
    std::optional<Record> record;          // the record asked for by index, when it exists
};

// nullopt when the pod does not exist.
// With record_index, the stream's record at that index (negative: from the end) comes along
// in the same round trip.
std::optional<PodContext> load_pod_context(soci::session& sql,
                                           const std::string& pod_name,
                                           const std::string& stream_name,
                                           std::optional<long long> record_index = std::nullopt);

// A rate-limit count to take in the same round trip as the context.
struct RateCount {
    std::string identity;
    std::string action;
};

struct CountedPodContext {
    std::optional<PodContext> pod;  // nullopt when the pod does not exist
    WindowCount window;             // the count after this request
};

// load_pod_context and count_request in one statement (the request rate is bounded by round
// trips, and every counted request loads its context anyway).
CountedPodContext load_pod_context_counting(soci::session& sql,
                                            const std::string& pod_name,
                                            const std::string& stream_name,
                                            const RateCount& count,
                                            std::optional<long long> record_index = std::nullopt);

// Creates a stream; nullopt if it already exists (a concurrent create won).
std::optional<Stream> insert_stream(soci::session& sql,
                                    long long pod_id,
                                    const std::string& name,
                                    const std::string& access_permission,
                                    const std::string& creator_id);

// Streams of a pod ordered by name.
std::vector<Stream> list_streams(soci::session& sql, long long pod_id);

// Removes a stream and, by cascade, its records.
void delete_stream(soci::session& sql, long long stream_id);

}  // namespace webpods::store
