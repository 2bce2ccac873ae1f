// What the store hands out: plain structs of the rows of pods, streams, records and users.
#pragma once

#include <optional>
#include <string>

namespace webpods::store {

struct Record {
    long long index = 0;
    std::string content;  // raw bytes
    std::string content_type;
    std::optional<std::string> alias;
    std::string author;  // auth_id
    std::string hash;
    std::string previous_hash;  // empty for index 0
    std::string timestamp;      // ISO-8601 UTC, milliseconds
};

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

struct User {
    std::string id;  // uuid
    std::string auth_id;
    std::string email;
    std::string name;
    std::string provider;
};

}  // namespace webpods::store
