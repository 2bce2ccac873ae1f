// pod repository.
#include "store/pods.h"

#include <soci/soci.h>

#include "store/records.h"

namespace webpods::store {

namespace {

constexpr const char* kInsertPod =
    "INSERT INTO pod (name, owner_id) VALUES (:name, CAST(:owner AS uuid)) "
    "ON CONFLICT (name) DO NOTHING RETURNING id";
// The owner check is part of the update, so two transfers racing from the same owner cannot
// both succeed: the second waits for the first's row lock, then finds the owner changed.
constexpr const char* kSetPodOwner =
    "UPDATE pod SET owner_id = CAST(:new_owner AS uuid) "
    "WHERE id = :id AND owner_id = CAST(:old_owner AS uuid)";
constexpr const char* kDeletePod = "DELETE FROM pod WHERE id = :id";
constexpr std::string_view kJsonType = "application/json";

}  // namespace

bool create_pod(Atomic& atomic,
                const std::string& pod_name,
                const Owner& owner,
                std::string_view owner_record_json) {
    Tx& tx = atomic.tx();
    const std::string owner_id(owner.user_id);
    long long pod_id = 0;
    tx.sql() << kInsertPod, soci::use(pod_name, "name"), soci::use(owner_id, "owner"),
        soci::into(pod_id);
    if (!tx.sql().got_data()) {
        return false;
    }
    const auto owner_stream =
        insert_stream(tx, pod_id, std::string(kOwnerStreamName), "private", owner_id);
    append_record(tx, owner_stream->head.id, {owner_record_json, kJsonType, {}, owner.auth_id});
    return true;
}

bool transfer_pod(Atomic& atomic,
                  long long pod_id,
                  long long owner_stream_id,
                  const Owner& writer,
                  const std::string& new_owner_id,
                  std::string_view owner_record_json) {
    Tx& tx = atomic.tx();
    const std::string old_owner_id(writer.user_id);
    soci::statement update = (tx.sql().prepare << kSetPodOwner,
                              soci::use(new_owner_id, "new_owner"),
                              soci::use(pod_id, "id"),
                              soci::use(old_owner_id, "old_owner"));
    update.execute(true);
    if (update.get_affected_rows() == 0) {
        return false;
    }
    append_record(tx, owner_stream_id, {owner_record_json, kJsonType, {}, writer.auth_id});
    return true;
}

void delete_pod(Tx& tx, long long pod_id) { tx.sql() << kDeletePod, soci::use(pod_id, "id"); }

}  // namespace webpods::store
