// The pod table: creating a pod with its owner record, transferring and deleting it.
#pragma once

#include <soci/session.h>

#include <string>
#include <string_view>

#include "store/streams.h"

namespace webpods::store {

struct Owner {
    std::string_view user_id;
    std::string_view auth_id;
};

// In one transaction: the pod, its private .meta/owner stream and the first owner record
// (owner_record_json). Returns false when another request created the pod first.
bool create_pod(soci::session& sql,
                const std::string& pod_name,
                const Owner& owner,
                std::string_view owner_record_json);

// In one transaction: appends owner_record_json to .meta/owner (whose head was last seen as
// owner_stream) as `writer`, and points the pod at new_owner_id.
void transfer_pod(soci::session& sql,
                  long long pod_id,
                  const StreamHead& owner_stream,
                  const Owner& writer,
                  const std::string& new_owner_id,
                  std::string_view owner_record_json);

// Removes a pod with all its streams and records.
void delete_pod(soci::session& sql, long long pod_id);

}  // namespace webpods::store
