// record repository: the append path of the hash chain.
#include "store/records.h"

#include <soci/soci.h>

#include <chrono>

#include "chain/chain.h"
#include "http/error.h"
#include "store/database.h"

namespace webpods::store {

namespace {

// Appends are a compare-and-swap on the stream row: the UPDATE moves the head only while
// record_count still equals the index we hashed for, and the INSERT takes its row from the
// UPDATE, so both happen in one statement (one round trip, one implicit transaction) or not
// at all. The UPDATE row-locks the stream; a concurrent appender blocks on that lock, then
// re-evaluates the WHERE against the committed head, finds the count moved, and inserts
// nothing. The loser re-reads the head and tries again, so no chain forks and no index is
// skipped; UNIQUE (stream_id, index) backs this up.
constexpr const char* kAppendIfHeadUnchanged =
    "WITH head AS ("
    "  UPDATE stream SET record_count = record_count + 1, last_hash = :hash "
    "  WHERE id = :stream_id AND record_count = :index RETURNING id) "
    "INSERT INTO record (stream_id, index, content, content_type, alias, author, hash, "
    "                    previous_hash, written_at) "
    "SELECT id, :index, decode(:content, 'hex'), :content_type, nullif(:alias, ''), :author, "
    "       :hash, nullif(:previous_hash, ''), CAST(:written_at AS timestamptz) FROM head "
    "RETURNING index";

// Under contention the loser takes the row lock first, so it cannot lose again.
constexpr const char* kLockHead =
    "SELECT record_count, coalesce(last_hash, '') FROM stream WHERE id = :id FOR UPDATE";

constexpr const char* kRecordColumns = "SELECT " WEBPODS_RECORD_COLUMNS "FROM record r ";

unsigned hex_digit(char c) {
    return c <= '9' ? static_cast<unsigned>(c - '0') : static_cast<unsigned>(c - 'a' + 10);
}

std::string hex_decode(std::string_view hex) {
    std::string bytes;
    bytes.reserve(hex.size() / 2);
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        bytes.push_back(static_cast<char>((hex_digit(hex[i]) << 4U) | hex_digit(hex[i + 1])));
    }
    return bytes;
}

// One attempt at the compare-and-swap; the finished record, or nullopt if the head moved.
std::optional<Record> try_append(soci::session& sql,
                                 const StreamHead& head,
                                 const NewRecord& fields,
                                 const std::string& content_hex) {
    Record record;
    record.index = head.record_count;
    record.previous_hash = head.last_hash;
    record.timestamp = chain::format_timestamp(std::chrono::system_clock::now());
    record.content_type = fields.content_type;
    if (!fields.alias.empty()) {
        record.alias = std::string(fields.alias);
    }
    record.author = fields.author;
    chain::RecordFields hashed;
    hashed.index = record.index;
    hashed.previous_hash = record.previous_hash;
    hashed.timestamp = record.timestamp;
    hashed.content_type = record.content_type;
    hashed.alias = fields.alias;
    hashed.author = record.author;
    hashed.content = fields.content;
    record.hash = chain::record_hash(hashed);

    const std::string alias(fields.alias);
    long long inserted_index = -1;
    sql << kAppendIfHeadUnchanged, soci::use(record.hash, "hash"), soci::use(head.id, "stream_id"),
        soci::use(record.index, "index"), soci::use(content_hex, "content"),
        soci::use(record.content_type, "content_type"), soci::use(alias, "alias"),
        soci::use(record.author, "author"), soci::use(record.previous_hash, "previous_hash"),
        soci::use(record.timestamp, "written_at"), soci::into(inserted_index);
    if (!sql.got_data()) {
        return std::nullopt;
    }
    record.content = fields.content;
    return record;
}

}  // namespace

Record record_from_row(const soci::row& row, std::size_t first) {
    Record record;
    record.index = row.get<long long>(first + 0);
    record.content = hex_decode(row.get<std::string>(first + 1));
    record.content_type = row.get<std::string>(first + 2);
    if (row.get_indicator(first + 3) == soci::i_ok) {
        record.alias = row.get<std::string>(first + 3);
    }
    record.author = row.get<std::string>(first + 4);
    record.hash = row.get<std::string>(first + 5);
    record.previous_hash = row.get<std::string>(first + 6);
    record.timestamp = row.get<std::string>(first + 7);
    return record;
}

Record append_record(soci::session& sql, const StreamHead& head, const NewRecord& fields) {
    const std::string content_hex = chain::hex_encode(fields.content);
    std::optional<Record> appended;
    run(
        sql,
        [&] {
            appended = try_append(sql, head, fields, content_hex);
            if (appended) {
                return;
            }
            soci::transaction transaction(sql);
            StreamHead locked{head.id, 0, {}};
            sql << kLockHead, soci::use(head.id, "id"), soci::into(locked.record_count),
                soci::into(locked.last_hash);
            if (!sql.got_data()) {
                throw http::Error(
                    http::ErrorKind::kNotFound, "STREAM_NOT_FOUND", "Stream not found");
            }
            appended = try_append(sql, locked, fields, content_hex);
            if (!appended) {
                throw http::Error(http::ErrorKind::kInternal,
                                  "INTERNAL_ERROR",
                                  "Internal error",
                                  "append under row lock found the head moved");
            }
            transaction.commit();
        },
        "ALIAS_EXISTS");
    return std::move(*appended);
}

std::optional<Record> find_record_by_index(soci::session& sql,
                                           long long stream_id,
                                           long long index) {
    std::optional<Record> record;
    run(sql, [&] {
        soci::row row;
        sql << std::string(kRecordColumns) + "WHERE r.stream_id = :stream_id AND r.index = :index",
            soci::use(stream_id, "stream_id"), soci::use(index, "index"), soci::into(row);
        if (sql.got_data()) {
            record = record_from_row(row, 0);
        }
    });
    return record;
}

std::optional<Record> find_record_by_alias(soci::session& sql,
                                           long long stream_id,
                                           const std::string& alias) {
    std::optional<Record> record;
    run(sql, [&] {
        soci::row row;
        sql << std::string(kRecordColumns) + "WHERE r.stream_id = :stream_id AND r.alias = :alias",
            soci::use(stream_id, "stream_id"), soci::use(alias, "alias"), soci::into(row);
        if (sql.got_data()) {
            record = record_from_row(row, 0);
        }
    });
    return record;
}

std::vector<Record> list_records(soci::session& sql,
                                 long long stream_id,
                                 long long first,
                                 long long end) {
    std::vector<Record> records;
    if (first >= end) {
        return records;
    }
    run(sql, [&] {
        records.clear();
        const soci::rowset<soci::row> rows =
            (sql.prepare << std::string(kRecordColumns) +
                                "WHERE r.stream_id = :stream_id AND r.index >= :first "
                                "AND r.index < :end ORDER BY r.index",
             soci::use(stream_id, "stream_id"),
             soci::use(first, "first"),
             soci::use(end, "end"));
        for (const soci::row& row : rows) {
            records.push_back(record_from_row(row, 0));
        }
    });
    return records;
}

}  // namespace webpods::store
