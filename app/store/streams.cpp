// pod and stream repository.
#include "store/streams.h"

#include <soci/soci.h>

#include "store/database.h"
#include "store/rate_limits.h"
#include "store/record.h"

namespace webpods::store {

namespace {

// The allow-list and links heads come along so permission and routing caches can be checked
// for freshness without another round trip.
#define WEBPODS_POD_CONTEXT_COLUMNS                                                   \
    "p.id, p.owner_id::text, "                                                        \
    "s.id, s.name, s.access_permission, s.creator_id::text, s.record_count, "         \
    "coalesce(s.last_hash, ''), "                                                     \
    "to_char(s.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), " \
    "a.id, a.record_count, coalesce(a.last_hash, ''), "                               \
    "l.id, l.record_count, coalesce(l.last_hash, ''), " WEBPODS_RECORD_COLUMNS
#define WEBPODS_POD_CONTEXT_JOINS                                                   \
    "LEFT JOIN stream s ON s.pod_id = p.id AND s.name = :stream "                   \
    "LEFT JOIN stream a ON a.pod_id = p.id AND left(s.access_permission, 1) = '/' " \
    "                  AND a.name = substr(s.access_permission, 2) "                \
    "LEFT JOIN stream l ON l.pod_id = p.id AND l.name = '.meta/links' "             \
    "LEFT JOIN record r ON :want_record = 1 AND r.stream_id = s.id "                \
    "                  AND r.index = :record_index "                                \
    "                              + CASE WHEN :from_end = 1 THEN s.record_count ELSE 0 END "

constexpr const char* kLoadPodContext =
    "SELECT " WEBPODS_POD_CONTEXT_COLUMNS "FROM pod p " WEBPODS_POD_CONTEXT_JOINS
    "WHERE p.name = :pod";

// The same facts plus a rate-limit count, in one round trip: the upsert runs whether or not
// the pod exists, so the pod is joined to its single row rather than selected from.
constexpr const char* kLoadPodContextCounting =
    "WITH counted AS (" WEBPODS_COUNT_REQUEST_SQL
    ") "
    "SELECT c.count, c.resets_at, " WEBPODS_POD_CONTEXT_COLUMNS
    "FROM counted c LEFT JOIN pod p ON p.name = :pod " WEBPODS_POD_CONTEXT_JOINS;

#undef WEBPODS_POD_CONTEXT_COLUMNS
#undef WEBPODS_POD_CONTEXT_JOINS

constexpr const char* kStreamColumns =
    "id, record_count, coalesce(last_hash, ''), name, access_permission, creator_id::text, "
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";

constexpr const char* kDeleteStream = "DELETE FROM stream WHERE id = :id";

Stream stream_from_row(const soci::row& row) {
    Stream stream;
    stream.head.id = row.get<long long>(0);
    stream.head.record_count = row.get<long long>(1);
    stream.head.last_hash = row.get<std::string>(2);
    stream.name = row.get<std::string>(3);
    stream.access_permission = row.get<std::string>(4);
    stream.creator_id = row.get<std::string>(5);
    stream.created_at = row.get<std::string>(6);
    return stream;
}

// The pod context from `row` starting at column `first`; nullopt when the pod is missing.
std::optional<PodContext> pod_context_from_row(const soci::row& row, std::size_t first) {
    if (row.get_indicator(first) != soci::i_ok) {
        return std::nullopt;
    }
    const auto column = [first](std::size_t offset) { return first + offset; };
    PodContext found;
    found.pod_id = row.get<long long>(column(0));
    found.owner_id = row.get<std::string>(column(1));
    if (row.get_indicator(column(2)) == soci::i_ok) {
        Stream stream;
        stream.head.id = row.get<long long>(column(2));
        stream.name = row.get<std::string>(column(3));
        stream.access_permission = row.get<std::string>(column(4));
        stream.creator_id = row.get<std::string>(column(5));
        stream.head.record_count = row.get<long long>(column(6));
        stream.head.last_hash = row.get<std::string>(column(7));
        stream.created_at = row.get<std::string>(column(8));
        found.stream = std::move(stream);
    }
    if (row.get_indicator(column(9)) == soci::i_ok) {
        found.allow_list = StreamHead{row.get<long long>(column(9)),
                                      row.get<long long>(column(10)),
                                      row.get<std::string>(column(11))};
    }
    if (row.get_indicator(column(12)) == soci::i_ok) {
        found.links = StreamHead{row.get<long long>(column(12)),
                                 row.get<long long>(column(13)),
                                 row.get<std::string>(column(14))};
    }
    if (row.get_indicator(column(15)) == soci::i_ok) {
        found.record = record_from_row(row, column(15));
    }
    return found;
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

}  // namespace

std::optional<PodContext> load_pod_context(soci::session& sql,
                                           const std::string& pod_name,
                                           const std::string& stream_name,
                                           std::optional<long long> record_index) {
    std::optional<PodContext> context;
    const RecordWanted wanted(record_index);
    run(sql, [&] {
        soci::row row;
        sql << kLoadPodContext, soci::use(stream_name, "stream"), soci::use(pod_name, "pod"),
            soci::use(wanted.want_record, "want_record"),
            soci::use(wanted.record_index, "record_index"), soci::use(wanted.from_end, "from_end"),
            soci::into(row);
        if (sql.got_data()) {
            context = pod_context_from_row(row, 0);
        }
    });
    return context;
}

CountedPodContext load_pod_context_counting(soci::session& sql,
                                            const std::string& pod_name,
                                            const std::string& stream_name,
                                            const RateCount& count,
                                            std::optional<long long> record_index) {
    CountedPodContext counted;
    const RecordWanted wanted(record_index);
    run(sql, [&] {
        soci::row row;
        sql << kLoadPodContextCounting, soci::use(count.identity, "identity"),
            soci::use(count.action, "action"), soci::use(pod_name, "pod"),
            soci::use(stream_name, "stream"), soci::use(wanted.want_record, "want_record"),
            soci::use(wanted.record_index, "record_index"), soci::use(wanted.from_end, "from_end"),
            soci::into(row);
        counted.window = WindowCount{row.get<long long>(0), row.get<long long>(1)};
        counted.pod = pod_context_from_row(row, 2);
    });
    return counted;
}

std::optional<Stream> insert_stream(soci::session& sql,
                                    long long pod_id,
                                    const std::string& name,
                                    const std::string& access_permission,
                                    const std::string& creator_id) {
    std::optional<Stream> stream;
    run(sql, [&] {
        soci::row row;
        sql << std::string(
                   "INSERT INTO stream (pod_id, name, access_permission, creator_id) "
                   "VALUES (:pod_id, :name, :access, CAST(:creator AS uuid)) "
                   "ON CONFLICT (pod_id, name) DO NOTHING RETURNING ") +
                   kStreamColumns,
            soci::use(pod_id, "pod_id"), soci::use(name, "name"),
            soci::use(access_permission, "access"), soci::use(creator_id, "creator"),
            soci::into(row);
        if (sql.got_data()) {
            stream = stream_from_row(row);
        }
    });
    return stream;
}

std::vector<Stream> list_streams(soci::session& sql, long long pod_id) {
    std::vector<Stream> streams;
    run(sql, [&] {
        streams.clear();
        const soci::rowset<soci::row> rows =
            (sql.prepare << std::string("SELECT ") + kStreamColumns +
                                " FROM stream WHERE pod_id = :pod_id ORDER BY name",
             soci::use(pod_id, "pod_id"));
        for (const soci::row& row : rows) {
            streams.push_back(stream_from_row(row));
        }
    });
    return streams;
}

void delete_stream(soci::session& sql, long long stream_id) {
    run(sql, [&] { sql << kDeleteStream, soci::use(stream_id, "id"); });
}

}  // namespace webpods::store
