// The pod table: creating a pod with its owner record, transferring and deleting it.
#pragma once

#include <string>
#include <string_view>

#include "store/database.h"
#include "store/streams.h"

namespace webpods::store {

struct Owner {
    std::string_view user_id;
    std::string_view auth_id;
};

inline constexpr std::string_view kOwnerStreamName = ".meta/owner";

// Inside the caller's transaction: the pod, its private .meta/owner stream and the first owner
// record (owner_record_json). Returns false, having written nothing, when another request
// created the pod first.
bool create_pod(Atomic& atomic,
                const std::string& pod_name,
                const Owner& owner,
                std::string_view owner_record_json);

// Inside the caller's transaction: points the pod at new_owner_id if `writer` still owns it,
// then appends owner_record_json to its .meta/owner stream. Returns false, having changed
// nothing, when the pod has another owner by now (a concurrent transfer won).
bool transfer_pod(Atomic& atomic,
                  long long pod_id,
                  long long owner_stream_id,
                  const Owner& writer,
                  const std::string& new_owner_id,
                  std::string_view owner_record_json);

// Removes a pod with all its streams and records.
void delete_pod(Tx& tx, long long pod_id);

}  // namespace webpods::store
