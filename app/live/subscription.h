// What a live read (SPEC §11) leaves for the worker's live hub once the accept thread has
// checked it and answered what already exists: plain data, built by handlers/live.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "store/streams.h"

namespace webpods::live {

enum class Mode {
    kEvents,    // text/event-stream: head and backlog sent, records follow until the end
    kLongPoll,  // ?wait=S: nothing followed `after`; one list answer when a record comes or S pass
};

// Who reads, for the hub's permission checks; both ids empty for an anonymous reader.
struct Reader {
    std::string user_id;
    std::string auth_id;
    std::int64_t expires_at = 0;  // the token's exp (Unix seconds); 0 for an anonymous reader
};

struct Subscription {
    Mode mode = Mode::kEvents;
    std::string pod;  // the pod's name and the stream's, to load its context again
    std::string stream_name;
    long long pod_id = 0;
    long long stream_id = 0;
    long long next_index = 0;  // the first record the reader has not been sent
    // The facts the permission check saw: a change in them is a possible revocation.
    store::AccessFacts access;
    Reader reader;
    // Long poll only: when to answer with no records, and the list's limit.
    std::chrono::steady_clock::time_point deadline{};
    long long limit = 0;
};

}  // namespace webpods::live
