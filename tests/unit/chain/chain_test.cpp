// Known answers and tamper detection for the hash chain (SPEC §6).
#include "chain/chain.h"

#include <boost/test/unit_test.hpp>

namespace chain = webpods::chain;

namespace {

constexpr std::string_view kFirstHash =
    "sha256:4b41696f40ce818ef99c54d397affa41e97c7fcede76cb28d11ac2146feffeb1";
constexpr std::string_view kSecondHash =
    "sha256:e68a37717648a54d483335625b9a9c4c771856dae8464188d965da103304702f";

chain::RecordFields first_record() {
    chain::RecordFields fields;
    fields.index = 0;
    fields.timestamp = "2026-01-02T03:04:05.678Z";
    fields.content_type = "text/plain";
    fields.author = "auth:test:alice";
    fields.content = "hello";
    return fields;
}

chain::RecordFields second_record() {
    chain::RecordFields fields = first_record();
    fields.index = 1;
    fields.previous_hash = kFirstHash;
    fields.timestamp = "2026-01-02T03:04:06.000Z";
    fields.alias = "greeting";
    fields.content = "w\xc3\xb6rld";
    return fields;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(chain_hash)

BOOST_AUTO_TEST_CASE(sha256_of_abc_is_the_fips_answer) {
    BOOST_TEST(chain::sha256_hex("abc") ==
               "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

BOOST_AUTO_TEST_CASE(first_record_hash_matches_spec_known_answer) {
    BOOST_TEST(chain::sha256_hex("hello") ==
               "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    BOOST_TEST(chain::record_hash(first_record()) == kFirstHash);
}

BOOST_AUTO_TEST_CASE(second_record_hash_matches_spec_known_answer) {
    BOOST_TEST(chain::record_hash(second_record()) == kSecondHash);
}

BOOST_AUTO_TEST_CASE(preimage_is_eight_lines_without_trailing_newline) {
    BOOST_TEST(chain::canonical_preimage(first_record()) ==
               "webpods-record-v1\n0\n\n2026-01-02T03:04:05.678Z\ntext/plain\n\nauth:test:alice\n"
               "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
}

BOOST_AUTO_TEST_CASE(changing_any_field_changes_the_hash) {
    const std::string original = chain::record_hash(second_record());
    const auto hash_with = [](auto change) {
        chain::RecordFields fields = second_record();
        change(fields);
        return chain::record_hash(fields);
    };
    BOOST_TEST(hash_with([](auto& f) { f.index = 2; }) != original);
    BOOST_TEST(hash_with([](auto& f) { f.previous_hash = "sha256:00"; }) != original);
    BOOST_TEST(hash_with([](auto& f) { f.timestamp = "2026-01-02T03:04:06.001Z"; }) != original);
    BOOST_TEST(hash_with([](auto& f) { f.content_type = "text/html"; }) != original);
    BOOST_TEST(hash_with([](auto& f) { f.alias = "greetings"; }) != original);
    BOOST_TEST(hash_with([](auto& f) { f.author = "auth:test:bob"; }) != original);
}

BOOST_AUTO_TEST_CASE(flipping_any_content_byte_changes_the_hash) {
    const std::string original = chain::record_hash(second_record());
    const std::string content(second_record().content);
    for (std::size_t i = 0; i < content.size(); ++i) {
        for (unsigned bit = 0; bit < 8; ++bit) {
            std::string changed = content;
            changed[i] = static_cast<char>(static_cast<unsigned char>(changed[i]) ^ (1U << bit));
            chain::RecordFields fields = second_record();
            fields.content = changed;
            BOOST_TEST(chain::record_hash(fields) != original);
        }
    }
}

BOOST_AUTO_TEST_CASE(known_chain_verifies) {
    const std::vector<chain::StoredRecord> records = {{first_record(), kFirstHash},
                                                      {second_record(), kSecondHash}};
    BOOST_TEST(!chain::find_first_break(records).has_value());
}

BOOST_AUTO_TEST_CASE(changed_payload_byte_fails_verification) {
    chain::RecordFields tampered = second_record();
    tampered.content = "world";
    const std::vector<chain::StoredRecord> records = {{first_record(), kFirstHash},
                                                      {tampered, kSecondHash}};
    const auto broken = chain::find_first_break(records);
    BOOST_REQUIRE(broken.has_value());
    BOOST_TEST(broken->index == 1);
}

BOOST_AUTO_TEST_CASE(missing_index_fails_verification) {
    const std::vector<chain::StoredRecord> records = {{second_record(), kSecondHash}};
    const auto broken = chain::find_first_break(records);
    BOOST_REQUIRE(broken.has_value());
    BOOST_TEST(broken->index == 0);
}

BOOST_AUTO_TEST_CASE(walk_checks_one_record_at_a_time_and_keeps_the_last_hash) {
    chain::ChainWalk walk;
    BOOST_TEST(walk.count() == 0);
    BOOST_TEST(walk.last_hash().empty());
    BOOST_TEST(!walk.next({first_record(), kFirstHash}).has_value());
    {
        // The walk keeps its own copy of the hash: the record it came from may be gone.
        std::string copy(kSecondHash);
        BOOST_TEST(!walk.next({second_record(), copy}).has_value());
    }
    BOOST_TEST(walk.count() == 2);
    BOOST_TEST(walk.last_hash() == kSecondHash);
}

BOOST_AUTO_TEST_CASE(walk_stops_at_a_tampered_record_and_stays_there) {
    chain::ChainWalk walk;
    BOOST_TEST(!walk.next({first_record(), kFirstHash}).has_value());
    chain::RecordFields tampered = second_record();
    tampered.author = "auth:test:mallory";
    const auto broken = walk.next({tampered, kSecondHash});
    BOOST_REQUIRE(broken.has_value());
    BOOST_TEST(broken->index == 1);
    BOOST_TEST(walk.count() == 1);
    BOOST_TEST(walk.last_hash() == kFirstHash);
}

BOOST_AUTO_TEST_CASE(walk_refuses_a_record_out_of_place) {
    chain::ChainWalk walk;
    const auto broken = walk.next({second_record(), kSecondHash});
    BOOST_REQUIRE(broken.has_value());
    BOOST_TEST(broken->index == 0);
    BOOST_TEST(broken->reason == "index 1 found where 0 belongs");
}

BOOST_AUTO_TEST_CASE(timestamp_has_milliseconds_and_zulu) {
    const std::chrono::system_clock::time_point when{std::chrono::milliseconds(1767323045678)};
    BOOST_TEST(chain::format_timestamp(when) == "2026-01-02T03:04:05.678Z");
}

BOOST_AUTO_TEST_SUITE_END()
