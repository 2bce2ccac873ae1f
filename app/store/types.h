// What the store hands out: plain structs of the rows of pods, streams, records and users.
#pragma once

#include <optional>
#include <string>
#include <string_view>

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

// A record read in place: its fields point into the row the database driver holds (or into a
// Record), valid only while that lives. Answers are written from views, so a record's bytes
// are never copied out of the driver's row on their way to the client (SPEC §10).
struct RecordView {
    RecordView() = default;
    // A Record is viewed wherever a view is asked for.
    RecordView(const Record& record)  // NOLINT(google-explicit-constructor)
        : index(record.index),
          content(record.content),
          content_type(record.content_type),
          alias(record.alias ? std::optional<std::string_view>(*record.alias) : std::nullopt),
          author(record.author),
          hash(record.hash),
          previous_hash(record.previous_hash),
          timestamp(record.timestamp) {}

    long long index = 0;
    std::string_view content;
    std::string_view content_type;
    std::optional<std::string_view> alias;
    std::string_view author;
    std::string_view hash;
    std::string_view previous_hash;
    std::string_view timestamp;
};

// A view's record, copied out to be kept.
inline Record to_record(const RecordView& view) {
    Record record;
    record.index = view.index;
    record.content = std::string(view.content);
    record.content_type = std::string(view.content_type);
    if (view.alias) {
        record.alias = std::string(*view.alias);
    }
    record.author = std::string(view.author);
    record.hash = std::string(view.hash);
    record.previous_hash = std::string(view.previous_hash);
    record.timestamp = std::string(view.timestamp);
    return record;
}

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
