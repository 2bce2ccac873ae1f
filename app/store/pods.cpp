// pod repository.
#include "store/pods.h"

#include <soci/soci.h>

#include "store/database.h"
#include "store/records.h"

namespace webpods::store {

namespace {

constexpr const char* kInsertPod =
    "INSERT INTO pod (name, owner_id) VALUES (:name, CAST(:owner AS uuid)) "
    "ON CONFLICT (name) DO NOTHING RETURNING id";
constexpr const char* kSetPodOwner =
    "UPDATE pod SET owner_id = CAST(:owner AS uuid) WHERE id = :id";
constexpr const char* kDeletePod = "DELETE FROM pod WHERE id = :id";
constexpr std::string_view kJsonType = "application/json";

}  // namespace

bool create_pod(soci::session& sql,
                const std::string& pod_name,
                const Owner& owner,
                std::string_view owner_record_json) {
    bool created = false;
    run(sql, [&] {
        soci::transaction transaction(sql);
        const std::string owner_id(owner.user_id);
        long long pod_id = 0;
        sql << kInsertPod, soci::use(pod_name, "name"), soci::use(owner_id, "owner"),
            soci::into(pod_id);
        if (!sql.got_data()) {
            return;  // the transaction rolls back; the other creator won
        }
        const auto owner_stream = insert_stream(sql, pod_id, ".meta/owner", "private", owner_id);
        append_record(sql, owner_stream->head, {owner_record_json, kJsonType, {}, owner.auth_id});
        transaction.commit();
        created = true;
    });
    return created;
}

void transfer_pod(soci::session& sql,
                  long long pod_id,
                  const StreamHead& owner_stream,
                  const Owner& writer,
                  const std::string& new_owner_id,
                  std::string_view owner_record_json) {
    run(sql, [&] {
        soci::transaction transaction(sql);
        append_record(sql, owner_stream, {owner_record_json, kJsonType, {}, writer.auth_id});
        sql << kSetPodOwner, soci::use(new_owner_id, "owner"), soci::use(pod_id, "id");
        transaction.commit();
    });
}

void delete_pod(soci::session& sql, long long pod_id) {
    run(sql, [&] { sql << kDeletePod, soci::use(pod_id, "id"); });
}

}  // namespace webpods::store
