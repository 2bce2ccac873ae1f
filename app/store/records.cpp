// record repository: the append path of the hash chain.
#include "store/records.h"

#include <soci/soci.h>

#include <chrono>

#include "chain/chain.h"
#include "encoding/encoding.h"
#include "store/rows.h"

namespace webpods::store {

namespace {

// The whole append is one call of append_record() (sql/migrations/0005_append.sql): it locks
// the head, answers a replayed Idempotency-Key, checks If-Match / If-None-Match against the true
// head, hashes the record (SPEC §6, the preimage of chain::canonical_preimage(), whose content
// line the caller computes), inserts it with its Merkle nodes and moves head and frontier, all
// in one atomic step, so no appender ever retries or sees a stale head.
constexpr const char* kAppendRecord =
    "SELECT outcome, index, hash, previous_hash, timestamp FROM append_record("
    "  :stream_id, :written_at, decode(:content, 'hex'), :content_type, :alias, :author, "
    "  :content_sha256, :if_match, :if_none_match, :idempotency_key)";

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

AppendResult append_record(Tx& tx, long long stream_id, const NewRecord& fields) {
    AppendResult result;
    Record& record = result.record;
    const std::string written_at = chain::format_timestamp(std::chrono::system_clock::now());
    record.content_type = fields.content_type;
    if (!fields.alias.empty()) {
        record.alias = std::string(fields.alias);
    }
    record.author = fields.author;
    record.content = fields.content;
    const std::string alias(fields.alias);
    // Absent conditions travel as NULL.
    const auto bound = [](const std::optional<std::string>& value) {
        return std::pair{value.value_or(std::string{}), value ? soci::i_ok : soci::i_null};
    };
    auto [if_match, if_match_given] = bound(fields.if_match);
    auto [if_none_match, if_none_match_given] = bound(fields.if_none_match);
    auto [idempotency_key, idempotency_key_given] = bound(fields.idempotency_key);
    const std::string content_sha256 = chain::sha256_hex(fields.content);
    const std::string content_hex = encoding::hex_encode(fields.content);

    std::string outcome;
    soci::session& sql = tx.sql();
    sql << kAppendRecord, soci::use(stream_id, "stream_id"), soci::use(written_at, "written_at"),
        soci::use(content_hex, "content"), soci::use(record.content_type, "content_type"),
        soci::use(alias, "alias"), soci::use(record.author, "author"),
        soci::use(content_sha256, "content_sha256"),
        soci::use(if_match, if_match_given, "if_match"),
        soci::use(if_none_match, if_none_match_given, "if_none_match"),
        soci::use(idempotency_key, idempotency_key_given, "idempotency_key"), soci::into(outcome),
        soci::into(record.index), soci::into(record.hash), soci::into(record.previous_hash),
        soci::into(record.timestamp);
    if (!sql.got_data()) {
        throw errors::Error(errors::Code::kStreamNotFound);
    }
    if (outcome == "appended") {
        result.outcome = AppendOutcome::kAppended;
    } else if (outcome == "replayed") {
        result.outcome = AppendOutcome::kReplayed;
    } else if (outcome == "key_reused") {
        result.outcome = AppendOutcome::kKeyReused;
    } else if (outcome == "precondition_failed") {
        result.outcome = AppendOutcome::kPreconditionFailed;
    } else {
        throw errors::internal_error("append_record() answered outcome " + outcome);
    }
    return result;
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
