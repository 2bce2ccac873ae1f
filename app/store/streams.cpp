// pod and stream repository.
#include "store/streams.h"

#include <soci/soci.h>

#include "store/rows.h"

namespace webpods::store {

namespace {

// The request statement. `counted` is the rate-limit upsert, run only when :count_request is 1;
// the window is the clock hour in UTC and the upsert makes concurrent counts exact. It runs
// whether or not the pod exists, so the pod is joined to a single row rather than selected
// from. The allow-list and links heads come along so permission and routing caches can be
// checked for freshness without another round trip; the record at :record_index (from the end
// when :from_end is 1) when :want_record is 1.
constexpr const char* kRequestContext =
    "WITH counted AS ("
    "  INSERT INTO rate_limit AS w (identity, action, window_start, count) "
    "  SELECT :identity, :action, "
    "         date_trunc('hour', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', 1 "
    "  WHERE :count_request = 1 "
    "  ON CONFLICT (identity, action, window_start) DO UPDATE SET count = w.count + 1 "
    "  RETURNING w.count, "
    "            CAST(extract(epoch FROM w.window_start + interval '1 hour') AS bigint) "
    "              AS resets_at) "
    "SELECT c.count AS window_count, c.resets_at AS window_resets_at, "
    "       p.id AS pod_id, p.owner_id::text AS owner_id, o.auth_id AS owner_auth_id, "
    "       s.id AS s_id, s.name AS s_name, s.access_permission AS s_access_permission, "
    "       s.creator_id AS s_creator_id, s.record_count AS s_record_count, "
    "       s.last_hash AS s_last_hash, s.created_at AS s_created_at, "
    "       a.id AS a_id, a.record_count AS a_record_count, a.last_hash AS a_last_hash, "
    "       ac.auth_id AS a_creator_auth_id, "
    "       l.id AS l_id, l.record_count AS l_record_count, l.last_hash AS l_last_hash, "
    "       r.index AS r_index, r.content_hex AS r_content_hex, "
    "       r.content_type AS r_content_type, r.alias AS r_alias, r.author AS r_author, "
    "       r.hash AS r_hash, r.previous_hash AS r_previous_hash, r.timestamp AS r_timestamp "
    "FROM (SELECT 1) AS one "
    "LEFT JOIN counted c ON true "
    "LEFT JOIN pod p ON p.name = :pod "
    "LEFT JOIN app_user o ON o.id = p.owner_id "
    "LEFT JOIN stream_row s ON s.pod_id = p.id AND s.name = :stream "
    "LEFT JOIN stream_row a ON a.pod_id = p.id AND left(s.access_permission, 1) = '/' "
    "                      AND a.name = substr(s.access_permission, 2) "
    "LEFT JOIN app_user ac ON ac.id = CAST(a.creator_id AS uuid) "
    "LEFT JOIN stream_row l ON l.pod_id = p.id AND l.name = '.meta/links' "
    "LEFT JOIN record_row r ON :want_record = 1 AND r.stream_id = s.id "
    "                      AND r.index = :record_index "
    "                          + CASE WHEN :from_end = 1 THEN s.record_count ELSE 0 END";

// A statement cannot see its own insert through the stream_row view, so the new row is
// returned with the view's column names and text forms.
constexpr const char* kInsertStream =
    "INSERT INTO stream (pod_id, name, access_permission, creator_id) "
    "VALUES (:pod_id, :name, :access, CAST(:creator AS uuid)) "
    "ON CONFLICT (pod_id, name) DO NOTHING "
    "RETURNING id, pod_id, name, access_permission, creator_id::text AS creator_id, "
    "          record_count, coalesce(last_hash, '') AS last_hash, "
    "          to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') "
    "            AS created_at";

constexpr const char* kListStreams =
    "SELECT * FROM stream_row WHERE pod_id = :pod_id ORDER BY name";

constexpr const char* kDeleteStream = "DELETE FROM stream WHERE id = :id";

// The three parameters of the record join: whether to fetch, the index, whether it counts from
// the end (negative `i`).
struct RecordWanted {
    int want_record = 0;
    long long record_index = 0;
    int from_end = 0;

    explicit RecordWanted(std::optional<long long> index)
        : want_record(index ? 1 : 0),
          record_index(index.value_or(0)),
          from_end(index && *index < 0 ? 1 : 0) {}
};

std::optional<PodContext> pod_context_from(const soci::row& row) {
    if (row.get_indicator("pod_id") != soci::i_ok) {
        return std::nullopt;
    }
    PodContext found;
    found.pod_id = row.get<long long>("pod_id");
    found.owner_id = row.get<std::string>("owner_id");
    found.owner_auth_id = row.get<std::string>("owner_auth_id");
    found.stream = stream_from(row, "s_");
    found.allow_list = head_from(row, "a_");
    if (found.allow_list) {
        found.allow_list_creator_auth_id = row.get<std::string>("a_creator_auth_id");
    }
    found.links = head_from(row, "l_");
    if (row.get_indicator("r_index") == soci::i_ok) {
        found.record = record_from(row, "r_");
    }
    return found;
}

}  // namespace

RequestContextRow load_request_context(Tx& tx, const ContextQuery& query) {
    const RecordWanted wanted(query.record_index);
    const int count_request = query.count ? 1 : 0;
    const std::string no_one;
    const std::string& identity = query.count ? query.count->identity : no_one;
    const std::string& action = query.count ? query.count->action : no_one;
    soci::row row;
    tx.sql() << kRequestContext, soci::use(identity, "identity"), soci::use(action, "action"),
        soci::use(count_request, "count_request"), soci::use(query.pod, "pod"),
        soci::use(query.stream, "stream"), soci::use(wanted.want_record, "want_record"),
        soci::use(wanted.record_index, "record_index"), soci::use(wanted.from_end, "from_end"),
        soci::into(row);
    RequestContextRow loaded;
    if (row.get_indicator("window_count") == soci::i_ok) {
        loaded.window =
            WindowCount{row.get<long long>("window_count"), row.get<long long>("window_resets_at")};
    }
    loaded.pod = pod_context_from(row);
    return loaded;
}

std::optional<PodContext> load_pod_context(Tx& tx,
                                           const std::string& pod_name,
                                           const std::string& stream_name) {
    return load_request_context(tx, {pod_name, stream_name, std::nullopt, std::nullopt}).pod;
}

std::optional<Stream> insert_stream(Tx& tx,
                                    long long pod_id,
                                    const std::string& name,
                                    const std::string& access_permission,
                                    const std::string& creator_id) {
    soci::row row;
    tx.sql() << kInsertStream, soci::use(pod_id, "pod_id"), soci::use(name, "name"),
        soci::use(access_permission, "access"), soci::use(creator_id, "creator"), soci::into(row);
    if (!tx.sql().got_data()) {
        return std::nullopt;
    }
    return stream_from(row);
}

std::vector<Stream> list_streams(Tx& tx, long long pod_id) {
    std::vector<Stream> streams;
    const soci::rowset<soci::row> rows =
        (tx.sql().prepare << kListStreams, soci::use(pod_id, "pod_id"));
    for (const soci::row& row : rows) {
        streams.push_back(*stream_from(row));
    }
    return streams;
}

void delete_stream(Tx& tx, long long stream_id) {
    tx.sql() << kDeleteStream, soci::use(stream_id, "id");
}

}  // namespace webpods::store
