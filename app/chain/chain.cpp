// Hash chain: SHA-256 via OpenSSL's one-shot EVP_Digest, canonical preimage per SPEC §6.
#include "chain/chain.h"

#include <openssl/evp.h>

#include <array>
#include <cstddef>
#include <cstdio>
#include <ctime>
#include <stdexcept>

#include "encoding/encoding.h"

namespace webpods::chain {

std::string sha256_hex(std::string_view bytes) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr) !=
        1) {
        throw std::runtime_error("EVP_Digest(sha256) failed");
    }
    return encoding::hex_encode({reinterpret_cast<const char*>(digest.data()), length});
}

std::string canonical_preimage(const RecordFields& record) {
    // The content enters as its digest, so the preimage stays small for large bodies and every
    // other field is text on its own line; none of them may contain '\n' (validation ensures it).
    std::string preimage = "webpods-record-v1\n";
    preimage += std::to_string(record.index);
    preimage += '\n';
    preimage += record.previous_hash;
    preimage += '\n';
    preimage += record.timestamp;
    preimage += '\n';
    preimage += record.content_type;
    preimage += '\n';
    preimage += record.alias;
    preimage += '\n';
    preimage += record.author;
    preimage += '\n';
    preimage += sha256_hex(record.content);
    return preimage;
}

std::string record_hash(const RecordFields& record) {
    return "sha256:" + sha256_hex(canonical_preimage(record));
}

std::string format_timestamp(std::chrono::system_clock::time_point when) {
    const auto milliseconds =
        std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count();
    const auto seconds = static_cast<std::time_t>(milliseconds / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    std::array<char, 32> text{};
    const std::size_t length = std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%S", &utc);
    std::array<char, 8> fraction{};
    std::snprintf(
        fraction.data(), fraction.size(), ".%03dZ", static_cast<int>(milliseconds % 1000));
    return std::string(text.data(), length) + fraction.data();
}

std::optional<ChainBreak> ChainWalk::next(const StoredRecord& record) {
    const RecordFields& fields = record.fields;
    if (fields.index != expected_index_) {
        return ChainBreak{expected_index_,
                          "index " + std::to_string(fields.index) + " found where " +
                              std::to_string(expected_index_) + " belongs"};
    }
    if (fields.previous_hash != previous_hash_) {
        return ChainBreak{fields.index, "previous_hash does not match the record before"};
    }
    if (record_hash(fields) != record.hash) {
        return ChainBreak{fields.index, "stored hash does not match the record's contents"};
    }
    previous_hash_ = std::string(record.hash);
    ++expected_index_;
    return std::nullopt;
}

std::optional<ChainBreak> find_first_break(const std::vector<StoredRecord>& records) {
    ChainWalk walk;
    for (const StoredRecord& record : records) {
        if (auto broken = walk.next(record)) {
            return broken;
        }
    }
    return std::nullopt;
}

}  // namespace webpods::chain
