// record repository: the append path of the hash chain.
#include "store/records.h"

#include <soci/soci.h>

#include <chrono>

#include "chain/chain.h"
#include "encoding/encoding.h"
#include "store/rows.h"

namespace webpods::store {

namespace {

// The whole append is one statement. `head` locks the stream row (FOR UPDATE): a concurrent
// appender waits for that lock and then, under READ COMMITTED, re-reads the row the winner
// committed, so every appender hashes against the true head and none has to retry. `hashed`
// builds the record hash of SPEC §6 from that head with PostgreSQL's sha256(): the preimage is
// exactly chain::canonical_preimage() (app/chain), whose content line (the hex SHA-256 of the
// bytes) is computed by the caller. `moved` advances the head; the INSERT takes its index and
// hashes from the same rows, so head and record change together or not at all, and
// UNIQUE (stream_id, index) backs the lock up: a chain cannot fork or skip an index.
constexpr const char* kAppendRecord =
    "WITH head AS ("
    "  SELECT id, record_count, coalesce(last_hash, '') AS last_hash FROM stream "
    "  WHERE id = :stream_id FOR UPDATE), "
    "hashed AS ("
    "  SELECT id, record_count AS index, last_hash AS previous_hash, "
    "         'sha256:' || encode(sha256(convert_to(concat_ws(chr(10), 'webpods-record-v1', "
    "           record_count::text, last_hash, CAST(:written_at AS text), "
    "           CAST(:content_type AS text), CAST(:alias AS text), CAST(:author AS text), "
    "           CAST(:content_sha256 AS text)), 'UTF8')), 'hex') AS hash "
    "  FROM head), "
    "moved AS ("
    "  UPDATE stream s SET record_count = h.index + 1, last_hash = h.hash "
    "  FROM hashed h WHERE s.id = h.id RETURNING s.id) "
    "INSERT INTO record (stream_id, index, content, content_type, alias, author, hash, "
    "                    previous_hash, written_at) "
    "SELECT h.id, h.index, decode(:content, 'hex'), :content_type, nullif(:alias, ''), "
    "       :author, h.hash, nullif(h.previous_hash, ''), CAST(:written_at AS timestamptz) "
    "FROM hashed h JOIN moved m ON m.id = h.id "
    "RETURNING index, hash, coalesce(previous_hash, '') AS previous_hash";

constexpr const char* kRecordByIndex =
    "SELECT * FROM record_row WHERE stream_id = :stream_id AND index = :index";
constexpr const char* kRecordByAlias =
    "SELECT * FROM record_row WHERE stream_id = :stream_id AND alias = :alias";
constexpr const char* kRecordRange =
    "SELECT * FROM record_row WHERE stream_id = :stream_id AND index >= :first AND index < :end "
    "ORDER BY index";
// kRecordRange without the rows whose predecessors in the range already hold
// :max_content_bytes of content. octet_length reads a TOASTed value's size without its bytes.
constexpr const char* kRecordRangeWithin =
    "SELECT r.* FROM ("
    "  SELECT stream_id, index, "
    "         sum(octet_length(content)) OVER (ORDER BY index) - octet_length(content) "
    "           AS content_before "
    "  FROM record WHERE stream_id = :stream_id AND index >= :first AND index < :end) sized "
    "JOIN record_row r ON r.stream_id = sized.stream_id AND r.index = sized.index "
    "WHERE sized.content_before < :max_content_bytes "
    "ORDER BY r.index";

// The one record of `stream_id` that `statement` selects by its :stream_id and :{key_name}.
template <typename Key>
std::optional<Record> find_record(
    Tx& tx, const char* statement, long long stream_id, const Key& key, const char* key_name) {
    soci::row row;
    tx.sql() << statement, soci::use(stream_id, "stream_id"), soci::use(key, key_name),
        soci::into(row);
    if (!tx.sql().got_data()) {
        return std::nullopt;
    }
    return record_from(row);
}

}  // namespace

Record append_record(Tx& tx, long long stream_id, const NewRecord& fields) {
    Record record;
    record.timestamp = chain::format_timestamp(std::chrono::system_clock::now());
    record.content_type = fields.content_type;
    if (!fields.alias.empty()) {
        record.alias = std::string(fields.alias);
    }
    record.author = fields.author;
    record.content = fields.content;
    const std::string alias(fields.alias);
    const std::string content_sha256 = chain::sha256_hex(fields.content);
    const std::string content_hex = encoding::hex_encode(fields.content);

    soci::session& sql = tx.sql();
    sql << kAppendRecord, soci::use(stream_id, "stream_id"),
        soci::use(record.timestamp, "written_at"), soci::use(record.content_type, "content_type"),
        soci::use(alias, "alias"), soci::use(record.author, "author"),
        soci::use(content_sha256, "content_sha256"), soci::use(content_hex, "content"),
        soci::into(record.index), soci::into(record.hash), soci::into(record.previous_hash);
    if (!sql.got_data()) {
        throw errors::Error(errors::Code::kStreamNotFound);
    }
    return record;
}

std::optional<Record> find_record_by_index(Tx& tx, long long stream_id, long long index) {
    return find_record(tx, kRecordByIndex, stream_id, index, "index");
}

std::optional<Record> find_record_by_alias(Tx& tx, long long stream_id, const std::string& alias) {
    return find_record(tx, kRecordByAlias, stream_id, alias, "alias");
}

std::vector<Record> list_records(Tx& tx, long long stream_id, long long first, long long end) {
    std::vector<Record> records;
    if (first >= end) {
        return records;
    }
    const soci::rowset<soci::row> rows = (tx.sql().prepare << kRecordRange,
                                          soci::use(stream_id, "stream_id"),
                                          soci::use(first, "first"),
                                          soci::use(end, "end"));
    for (const soci::row& row : rows) {
        records.push_back(record_from(row));
    }
    return records;
}

void for_each_record(Tx& tx,
                     long long stream_id,
                     long long first,
                     long long end,
                     long long max_content_bytes,
                     const std::function<bool(Record&&)>& visit) {
    if (first >= end) {
        return;
    }
    const soci::rowset<soci::row> rows = (tx.sql().prepare << kRecordRangeWithin,
                                          soci::use(stream_id, "stream_id"),
                                          soci::use(first, "first"),
                                          soci::use(end, "end"),
                                          soci::use(max_content_bytes, "max_content_bytes"));
    for (const soci::row& row : rows) {
        if (!visit(record_from(row))) {
            return;
        }
    }
}

}  // namespace webpods::store
