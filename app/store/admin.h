// What an operator reads about the whole service (webpodsctl pods, streams, users, stats): pods,
// their streams and users with their counts, and the size of it all. Read-only.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/database.h"
#include "store/types.h"

namespace webpods::store {

struct PodSummary {
    std::string name;
    std::string owner_auth_id;
    long long streams = 0;  // system streams (.meta/...) included
    long long records = 0;
    std::string created_at;  // ISO-8601 UTC, milliseconds
};

struct StreamSummary {
    std::string name;
    std::string access_permission;
    std::string creator_auth_id;
    long long records = 0;
    std::string last_hash;  // empty while the stream has no record
    std::string created_at;
};

struct UserSummary {
    User user;
    long long pods = 0;           // pods it owns
    long long live_sessions = 0;  // browser sessions not yet expired
    std::string created_at;
};

struct Totals {
    long long users = 0, pods = 0, streams = 0, records = 0, live_sessions = 0;
    long long database_bytes = 0;  // pg_database_size of the connected database
};

// Every pod, by name.
std::vector<PodSummary> list_pod_summaries(Tx& tx);

// The streams of the pod with this name, by name; nullopt when there is no such pod.
std::optional<std::vector<StreamSummary>> list_stream_summaries(Tx& tx, const std::string& pod);

// Every user, oldest first.
std::vector<UserSummary> list_user_summaries(Tx& tx);

Totals count_totals(Tx& tx);

}  // namespace webpods::store
