// pod and stream repository.
#include "store/streams.h"

#include <soci/soci.h>

#include "errors/errors.h"
#include "store/prepared.h"
#include "store/replicas.h"
#include "store/rows.h"

namespace webpods::store {

namespace {

// The request statement, prepared once per connection (app/store/prepared.h). `counted` is the
// rate-limit upsert adding $3 requests of identity $1 and action $2, run only when $3 > 0; the
// window is the clock hour in UTC and the upsert makes concurrent counts exact. It runs whether or
// not pod $4 exists, so the pod is joined to a single row rather than selected from. The allow-list
// and links heads of stream $5 come along so permission and routing caches can be checked for
// freshness without another round trip; the record at index $7 (from the end when $8 is 1)
// when $6 is 1, unless its content is longer than $9 bytes (-1: whatever its length).
// octet_length reads a TOASTed value's size without its bytes.
constexpr Prepared kRequestContext{
    "request_context",
    "WITH counted AS ("
    "  INSERT INTO rate_limit AS w (identity, action, window_start, count) "
    "  SELECT $1, $2, "
    "         date_trunc('hour', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', CAST($3 AS bigint) "
    "  WHERE CAST($3 AS bigint) > 0 "
    "  ON CONFLICT (identity, action, window_start) DO UPDATE SET count = w.count + EXCLUDED.count "
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
    "       r.index AS r_index, r.content AS r_content, "
    "       r.content_type AS r_content_type, r.alias AS r_alias, r.author AS r_author, "
    "       r.hash AS r_hash, r.previous_hash AS r_previous_hash, r.timestamp AS r_timestamp "
    "FROM (SELECT 1) AS one "
    "LEFT JOIN counted c ON true "
    "LEFT JOIN pod p ON p.name = $4 "
    "LEFT JOIN app_user o ON o.id = p.owner_id "
    "LEFT JOIN stream_row s ON s.pod_id = p.id AND s.name = $5 "
    "LEFT JOIN stream_row a ON a.pod_id = p.id AND left(s.access_permission, 1) = '/' "
    "                      AND a.name = substr(s.access_permission, 2) "
    "LEFT JOIN app_user ac ON ac.id = CAST(a.creator_id AS uuid) "
    "LEFT JOIN stream_row l ON l.pod_id = p.id AND l.name = '.meta/links' "
    "LEFT JOIN record_row r ON $6 = 1 AND r.stream_id = s.id "
    "                      AND r.index = $7 "
    "                          + CASE WHEN $8 = 1 THEN s.record_count ELSE 0 END "
    "                      AND (CAST($9 AS bigint) < 0 "
    "                           OR octet_length(r.content) <= CAST($9 AS bigint))"};

// With replicas, a record longer than this is not read with the decision but served by a replica
// (SPEC §14); a shorter one costs the primary less than a second round trip would.
constexpr long long kPrefetchedContentBytes = 4096;

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

constexpr Prepared kListStreams{
    "list_streams",
    "SELECT s.id, s.name, s.access_permission, s.creator_id, s.record_count, s.last_hash, "
    "       s.created_at, a.id AS a_id, a.record_count AS a_record_count, "
    "       a.last_hash AS a_last_hash, ac.auth_id AS a_creator_auth_id "
    "FROM stream_row s "
    "LEFT JOIN stream_row a ON a.pod_id = s.pod_id AND left(s.access_permission, 1) = '/' "
    "                      AND a.name = substr(s.access_permission, 2) "
    "LEFT JOIN app_user ac ON ac.id = CAST(a.creator_id AS uuid) "
    "WHERE s.pod_id = $1 ORDER BY s.name"};

constexpr const char* kDeleteStream = "DELETE FROM stream WHERE id = :id";

// Primary-key lookups only, and only while a worker holds live readers: the cost of a live read
// falls on this poll, never on an append.
constexpr Prepared kHeads{
    "live_heads",
    "SELECT 's' AS kind, id, record_count, NULL AS owner_id FROM stream "
    "WHERE id = ANY(CAST($1 AS bigint[])) "
    "UNION ALL "
    "SELECT 'p', id, 0, owner_id::text FROM pod WHERE id = ANY(CAST($2 AS bigint[]))"};

// {1,2,3}: an array literal of ids.
std::string id_array(const std::vector<long long>& ids) {
    std::string text = "{";
    for (const long long id : ids) {
        if (text.size() > 1) {
            text += ',';
        }
        text += std::to_string(id);
    }
    return text + "}";
}

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

std::optional<PodContext> pod_context_from(const Rows& rows) {
    if (rows.is_null(0, rows.column("pod_id"))) {
        return std::nullopt;
    }
    PodContext found;
    found.pod_id = rows.integer(0, rows.column("pod_id"));
    found.owner_id = rows.text(0, rows.column("owner_id"));
    found.owner_auth_id = rows.text(0, rows.column("owner_auth_id"));
    found.stream = stream_from(rows, 0, "s_");
    found.allow_list = head_from(rows, 0, "a_");
    if (found.allow_list) {
        found.allow_list_creator_auth_id = rows.text(0, rows.column("a_creator_auth_id"));
    }
    found.links = head_from(rows, 0, "l_");
    if (!rows.is_null(0, rows.column("r_index"))) {
        found.record = record_from(rows, 0, "r_");
    }
    return found;
}

}  // namespace

RequestContextRow load_request_context(Tx& tx, const ContextQuery& query) {
    const RecordWanted wanted(query.record_index);
    const long long count_request = query.count ? query.count->amount : 0;
    const std::string no_one;
    const std::string& identity = query.count ? query.count->identity : no_one;
    const std::string& action = query.count ? query.count->action : no_one;
    const Rows rows = execute(tx,
                              kRequestContext,
                              {identity,
                               action,
                               count_request,
                               query.pod,
                               query.stream,
                               wanted.want_record,
                               wanted.record_index,
                               wanted.from_end,
                               reads_from_replicas(tx) ? kPrefetchedContentBytes : -1});
    RequestContextRow loaded;
    if (rows.count() != 1) {
        throw errors::internal_error("the request statement answered no row");
    }
    if (!rows.is_null(0, rows.column("window_count"))) {
        loaded.window = WindowCount{rows.integer(0, rows.column("window_count")),
                                    rows.integer(0, rows.column("window_resets_at"))};
    }
    loaded.pod = pod_context_from(rows);
    return loaded;
}

AccessFacts access_facts(const PodContext& pod) {
    AccessFacts facts;
    facts.owner_id = pod.owner_id;
    if (pod.allow_list) {
        facts.allow_list_id = pod.allow_list->id;
        facts.allow_list_count = pod.allow_list->record_count;
    }
    return facts;
}

Heads read_heads(Tx& tx,
                 const std::vector<long long>& stream_ids,
                 const std::vector<long long>& pod_ids) {
    Heads heads;
    if (stream_ids.empty() && pod_ids.empty()) {
        return heads;
    }
    const Rows rows = execute(tx, kHeads, {id_array(stream_ids), id_array(pod_ids)});
    const int kind = rows.column("kind");
    const int id = rows.column("id");
    const int record_count = rows.column("record_count");
    const int owner_id = rows.column("owner_id");
    for (int row = 0; row < rows.count(); ++row) {
        if (rows.bytes(row, kind) == "s") {
            heads.record_counts.emplace(rows.integer(row, id), rows.integer(row, record_count));
        } else {
            heads.owners.emplace(rows.integer(row, id), rows.text(row, owner_id));
        }
    }
    return heads;
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

std::vector<ListedStream> list_streams(Tx& tx, long long pod_id) {
    std::vector<ListedStream> streams;
    execute_each(tx, kListStreams, {pod_id}, [&streams](const Rows& rows) {
        ListedStream listed{*stream_from(rows, 0), head_from(rows, 0, "a_"), {}};
        if (listed.allow_list) {
            listed.allow_list_creator_auth_id = rows.text(0, rows.column("a_creator_auth_id"));
        }
        streams.push_back(std::move(listed));
        return true;
    });
    return streams;
}

void delete_stream(Tx& tx, long long stream_id) {
    tx.sql() << kDeleteStream, soci::use(stream_id, "id");
}

}  // namespace webpods::store
