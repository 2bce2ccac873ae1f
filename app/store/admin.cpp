// Operator views over pods, streams and users: one statement each, counts computed by the
// database.
#include "store/admin.h"

#include <soci/soci.h>

namespace webpods::store {

namespace {

// Record counts come from stream.record_count, which every append moves in the statement that
// inserts the record (0001_schema.sql): exact, and no scan of the record table.
constexpr const char* kPodSummaries =
    "SELECT p.name, u.auth_id AS owner, "
    "  count(s.id) AS streams, coalesce(sum(s.record_count), 0)::bigint AS records, "
    "  to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS created_at "
    "FROM pod p JOIN app_user u ON u.id = p.owner_id LEFT JOIN stream s ON s.pod_id = p.id "
    "GROUP BY p.id, u.auth_id ORDER BY p.name";

constexpr const char* kPodExists = "SELECT count(*) FROM pod WHERE name = :pod";

constexpr const char* kStreamSummaries =
    "SELECT s.name, s.access_permission, u.auth_id AS creator, s.record_count, s.last_hash, "
    "  s.created_at "
    "FROM stream_row s JOIN pod p ON p.id = s.pod_id "
    "JOIN app_user u ON u.id = CAST(s.creator_id AS uuid) "
    "WHERE p.name = :pod ORDER BY s.name";

constexpr const char* kUserSummaries =
    "SELECT u.id, u.auth_id, u.email, u.name, u.provider, "
    "  (SELECT count(*) FROM pod p WHERE p.owner_id = u.uuid) AS pods, "
    "  (SELECT count(*) FROM session s WHERE s.user_id = u.uuid AND s.expires_at > now()) "
    "    AS live_sessions, "
    "  to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS created "
    "FROM user_row u ORDER BY u.created_at, u.auth_id";

// One statement, so the counts are of one snapshot.
constexpr const char* kTotals =
    "SELECT (SELECT count(*) FROM app_user), (SELECT count(*) FROM pod), "
    "  (SELECT count(*) FROM stream), "
    "  (SELECT coalesce(sum(record_count), 0)::bigint FROM stream), "
    "  (SELECT count(*) FROM session WHERE expires_at > now()), "
    "  pg_database_size(current_database())";

}  // namespace

std::vector<PodSummary> list_pod_summaries(Tx& tx) {
    std::vector<PodSummary> pods;
    const soci::rowset<soci::row> rows = (tx.sql().prepare << kPodSummaries);
    for (const soci::row& row : rows) {
        pods.push_back(PodSummary{row.get<std::string>("name"),
                                  row.get<std::string>("owner"),
                                  row.get<long long>("streams"),
                                  row.get<long long>("records"),
                                  row.get<std::string>("created_at")});
    }
    return pods;
}

std::optional<std::vector<StreamSummary>> list_stream_summaries(Tx& tx, const std::string& pod) {
    long long found = 0;
    tx.sql() << kPodExists, soci::use(pod, "pod"), soci::into(found);
    if (found == 0) {
        return std::nullopt;
    }
    std::vector<StreamSummary> streams;
    const soci::rowset<soci::row> rows =
        (tx.sql().prepare << kStreamSummaries, soci::use(pod, "pod"));
    for (const soci::row& row : rows) {
        streams.push_back(StreamSummary{row.get<std::string>("name"),
                                        row.get<std::string>("access_permission"),
                                        row.get<std::string>("creator"),
                                        row.get<long long>("record_count"),
                                        row.get<std::string>("last_hash"),
                                        row.get<std::string>("created_at")});
    }
    return streams;
}

std::vector<UserSummary> list_user_summaries(Tx& tx) {
    std::vector<UserSummary> users;
    const soci::rowset<soci::row> rows = (tx.sql().prepare << kUserSummaries);
    for (const soci::row& row : rows) {
        users.push_back(UserSummary{User{row.get<std::string>("id"),
                                         row.get<std::string>("auth_id"),
                                         row.get<std::string>("email"),
                                         row.get<std::string>("name"),
                                         row.get<std::string>("provider")},
                                    row.get<long long>("pods"),
                                    row.get<long long>("live_sessions"),
                                    row.get<std::string>("created")});
    }
    return users;
}

Totals count_totals(Tx& tx) {
    Totals totals;
    tx.sql() << kTotals, soci::into(totals.users), soci::into(totals.pods),
        soci::into(totals.streams), soci::into(totals.records), soci::into(totals.live_sessions),
        soci::into(totals.database_bytes);
    return totals;
}

}  // namespace webpods::store
