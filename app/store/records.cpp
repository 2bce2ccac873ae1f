// record repository: the append path of the hash chain.
#include "store/records.h"

#include <chrono>

#include "chain/chain.h"
#include "errors/errors.h"
#include "metrics/metrics.h"
#include "store/prepared.h"
#include "store/replicas.h"
#include "store/rows.h"

namespace webpods::store {

namespace {

// The whole append is one call of append_record() (sql/migrations/0005_append.sql): it locks
// the head, answers a replayed Idempotency-Key, checks If-Match / If-None-Match against the true
// head, hashes the record (SPEC §6, the preimage of chain::canonical_preimage(), whose content
// line the caller computes), inserts it with its Merkle nodes and moves head and frontier, all
// in one atomic step, so no appender ever retries or sees a stale head.
constexpr Prepared kAppendRecord{
    "append_record",
    "SELECT outcome, index, hash, previous_hash, timestamp FROM append_record("
    "  $1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"};

constexpr Prepared kRecordByIndex{"record_by_index",
                                  "SELECT * FROM record_row WHERE stream_id = $1 AND index = $2"};
constexpr Prepared kRecordByAlias{"record_by_alias",
                                  "SELECT * FROM record_row WHERE stream_id = $1 AND alias = $2"};
constexpr Prepared kRecordRange{
    "record_range",
    "SELECT * FROM record_row WHERE stream_id = $1 AND index >= $2 AND index < $3 "
    "ORDER BY index"};
// kRecordRange up to the last row whose content, with its predecessors' in the range, fits in
// $4 bytes (the first row always): a row that would overrun the answer is never fetched.
// octet_length reads a TOASTed value's size without its bytes.
constexpr Prepared kRecordRangeWithin{
    "record_range_within",
    "SELECT r.* FROM ("
    "  SELECT stream_id, index, sum(octet_length(content)) OVER (ORDER BY index) AS content_upto "
    "  FROM record WHERE stream_id = $1 AND index >= $2 AND index < $3) sized "
    "JOIN record_row r ON r.stream_id = sized.stream_id AND r.index = sized.index "
    "WHERE sized.content_upto <= $4 OR sized.index = $2 "
    "ORDER BY r.index"};

// The one record of `stream_id` that `statement` selects by its second parameter.
std::optional<Record> find_record(Tx& tx,
                                  const Prepared& statement,
                                  long long stream_id,
                                  const Param& key) {
    const Rows rows = execute(tx, statement, {stream_id, key.value()});
    if (rows.count() == 0) {
        return std::nullopt;
    }
    return record_from(rows, 0);
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
    const std::string content_sha256 = chain::sha256_hex(fields.content);

    const Rows rows = execute(tx,
                              kAppendRecord,
                              {stream_id,
                               written_at,
                               Param::Bytes{fields.content},
                               fields.content_type,
                               fields.alias,
                               fields.author,
                               content_sha256,
                               fields.if_match,
                               fields.if_none_match,
                               fields.idempotency_key});
    if (rows.count() == 0) {
        throw errors::Error(errors::Code::kStreamNotFound);
    }
    const std::string outcome = rows.text(0, 0);
    record.index = rows.integer(0, 1);
    record.hash = rows.text(0, 2);
    record.previous_hash = rows.text(0, 3);
    record.timestamp = rows.text(0, 4);
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
    // A stream's id is never reused and its records never change, so the row a replica has for
    // (stream_id, index) is the primary's; a replica that lacks it leaves it to the primary.
    if (reads_from_replicas(tx)) {
        std::optional<Record> found;
        const ReplicaRead read =
            tx.replicas().each(kRecordByIndex, {stream_id, index}, [&found](const Rows& rows) {
                found = record_from(rows, 0);
                return false;
            });
        if (found) {
            return found;
        }
        metrics::count_replica_fallback(read == ReplicaRead::kAnswered ? metrics::Fallback::kBehind
                                                                       : metrics::Fallback::kDown);
    }
    return find_record(tx, kRecordByIndex, stream_id, index);
}

std::optional<Record> find_record_by_alias(Tx& tx, long long stream_id, const std::string& alias) {
    return find_record(tx, kRecordByAlias, stream_id, alias);
}

std::vector<Record> list_records(Tx& tx, long long stream_id, long long first, long long end) {
    std::vector<Record> records;
    if (first >= end) {
        return records;
    }
    execute_each(tx, kRecordRange, {stream_id, first, end}, [&records](const Rows& rows) {
        records.push_back(record_from(rows, 0));
        return true;
    });
    return records;
}

void for_each_record(Tx& tx,
                     long long stream_id,
                     long long first,
                     long long end,
                     long long max_content_bytes,
                     const std::function<bool(const RecordView&)>& visit) {
    if (first >= end) {
        return;
    }
    // The replica hands over the records it has from `first` on, in order. A replica that lags
    // (or whose replay is paused, or that fails midway) stops short, and the primary sends the rest
    // of [first, end) with what is left of the content budget, so the answer is the primary's.
    long long next = first;
    long long content_bytes = 0;
    bool wanted = true;
    if (reads_from_replicas(tx)) {
        const ReplicaRead read = tx.replicas().each(
            kRecordRangeWithin, {stream_id, first, end, max_content_bytes}, [&](const Rows& rows) {
                const RecordView record = record_view_from(rows, 0);
                if (record.index != next) {
                    return false;  // not the record that comes next: the primary decides
                }
                ++next;
                content_bytes += static_cast<long long>(record.content.size());
                wanted = visit(record);
                return wanted;
            });
        if (!wanted || next == end || content_bytes >= max_content_bytes) {
            return;
        }
        metrics::count_replica_fallback(read == ReplicaRead::kAnswered ? metrics::Fallback::kBehind
                                                                       : metrics::Fallback::kDown);
    }
    execute_each(tx,
                 kRecordRangeWithin,
                 {stream_id, next, end, max_content_bytes - content_bytes},
                 [&visit](const Rows& rows) { return visit(record_view_from(rows, 0)); });
}

}  // namespace webpods::store
