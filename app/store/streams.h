// The pod and stream tables: everything a request needs to know about where it writes or reads,
// loaded in one statement together with the request's rate-limit count.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/database.h"
#include "store/rate_limits.h"
#include "store/types.h"

namespace webpods::store {

// One query's worth of facts about a pod and one of its streams: enough to decide permissions
// and to notice whether a worker's cached allow list or link table is still current.
struct PodContext {
    long long pod_id = 0;
    std::string owner_id;                    // uuid
    std::string owner_auth_id;               // the owner's auth_id, as records name authors
    std::optional<Stream> stream;            // the requested stream, when it exists
    std::optional<StreamHead> allow_list;    // head of the stream's allow list, when it names one
    std::string allow_list_creator_auth_id;  // who created that list (auth_id), when it exists
    std::optional<StreamHead> links;         // head of .meta/links, when it exists
    std::optional<Record> record;            // the record asked for by index, when it exists
};

// What a live reader's permission depends on besides the reader (SPEC §11): the pod's owner and
// the head of the stream's allow list. A change in any of them may be a revocation.
struct AccessFacts {
    std::string owner_id;
    long long allow_list_id = 0;  // 0: the stream names no allow list, or that stream is missing
    long long allow_list_count = 0;

    bool operator==(const AccessFacts& other) const {
        return owner_id == other.owner_id && allow_list_id == other.allow_list_id &&
               allow_list_count == other.allow_list_count;
    }
    bool operator!=(const AccessFacts& other) const { return !(*this == other); }
};

// The access facts of a loaded pod context.
AccessFacts access_facts(const PodContext& pod);

// What live readers watch, as it is now: the record count of each stream of stream_ids that still
// exists and the owner of each pod of pod_ids that still exists; missing ones are gone.
struct Heads {
    std::unordered_map<long long, long long> record_counts;  // by stream id
    std::unordered_map<long long, std::string> owners;       // by pod id: the owner's uuid
};

// One statement of primary-key lookups, however many ids: what the live hub of a worker process
// reads every poll interval while it holds readers.
Heads read_heads(Tx& tx,
                 const std::vector<long long>& stream_ids,
                 const std::vector<long long>& pod_ids);

// What a request asks of load_request_context.
struct ContextQuery {
    std::string pod;
    std::string stream;
    std::optional<long long> record_index;  // fetch this record too; negative counts from the end
    std::optional<RateCount> count;         // count this request in the same round trip
};

struct RequestContextRow {
    std::optional<PodContext> pod;      // nullopt when the pod does not exist
    std::optional<WindowCount> window;  // the count after this request, when one was taken
};

// The pod context and the rate-limit count in one statement: the request rate is bounded by
// round trips, and every counted pod request loads its context anyway.
RequestContextRow load_request_context(Tx& tx, const ContextQuery& query);

// The pod context alone; nullopt when the pod does not exist.
std::optional<PodContext> load_pod_context(Tx& tx,
                                           const std::string& pod_name,
                                           const std::string& stream_name);

// Creates a stream; nullopt if it already exists (a concurrent create won).
std::optional<Stream> insert_stream(Tx& tx,
                                    long long pod_id,
                                    const std::string& name,
                                    const std::string& access_permission,
                                    const std::string& creator_id);

// A stream of a listing, with the head of the allow list its permission names (if any).
struct ListedStream {
    Stream stream;
    std::optional<StreamHead> allow_list;
    std::string allow_list_creator_auth_id;
};

// Streams of a pod ordered by name, each with its allow list's head, in one statement.
std::vector<ListedStream> list_streams(Tx& tx, long long pod_id);

// Removes a stream and, by cascade, its records.
void delete_stream(Tx& tx, long long stream_id);

}  // namespace webpods::store
