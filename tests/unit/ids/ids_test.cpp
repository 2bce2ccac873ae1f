// Pod, stream and alias validation and index expressions (SPEC §2).
#include "ids/ids.h"

#include <boost/test/unit_test.hpp>
#include <string>

namespace ids = webpods::ids;

BOOST_AUTO_TEST_SUITE(ids_validation)

BOOST_AUTO_TEST_CASE(pod_ids_follow_dns_label_rules) {
    BOOST_TEST(ids::is_valid_pod_id(std::string(63, 'a')));
    for (const char* id : {"a", "alice", "a-b", "0x"}) {
        BOOST_TEST(ids::is_valid_pod_id(id), id);
    }
    for (const char* id : {"", "-a", "a-", "A", "a_b", "a.b"}) {
        BOOST_TEST(!ids::is_valid_pod_id(id), id);
    }
    BOOST_TEST(!ids::is_valid_pod_id(std::string(64, 'a')));
}

BOOST_AUTO_TEST_CASE(stream_ids_refuse_empty_dot_and_dotdot_segments) {
    for (const char* id : {"blog", "blog/2024/posts", "a.b", "_x-y", ".meta/owner", "a/.b"}) {
        BOOST_TEST(ids::is_valid_stream_id(id), id);
    }
    for (const char* id : {"", "/a", "a/", "a//b", ".", "..", "a/./b", "a/..", "a%20", "a b"}) {
        BOOST_TEST(!ids::is_valid_stream_id(id), id);
    }
    BOOST_TEST(ids::is_valid_stream_id(std::string(256, 'a')));
    BOOST_TEST(!ids::is_valid_stream_id(std::string(257, 'a')));
}

BOOST_AUTO_TEST_CASE(aliases_refuse_slashes_and_edge_dots) {
    for (const char* alias : {"a", "v1.2", "-1", "a_b-c"}) {
        BOOST_TEST(ids::is_valid_alias(alias), alias);
    }
    for (const char* alias : {"", ".a", "a.", "a/b", "a b"}) {
        BOOST_TEST(!ids::is_valid_alias(alias), alias);
    }
}

BOOST_AUTO_TEST_CASE(index_expressions_are_integers_or_two_sided_ranges) {
    BOOST_TEST(ids::parse_index_query("-1")->first == -1);
    const auto range = ids::parse_index_query("-3:-1");
    BOOST_TEST(range->first == -3);
    BOOST_TEST(*range->end == -1);
    for (const char* text :
         {"", "1:", ":2", "a:b", "1:2:3", "abc", "+1", "1.5", "99999999999999999999"}) {
        BOOST_TEST(!ids::parse_index_query(text).has_value(), text);
    }
}

BOOST_AUTO_TEST_CASE(idempotency_keys_are_1_to_128_printable_characters) {
    BOOST_TEST(ids::is_valid_idempotency_key("a"));
    BOOST_TEST(ids::is_valid_idempotency_key("order 42 / retry"));
    BOOST_TEST(ids::is_valid_idempotency_key(std::string(128, 'k')));
    BOOST_TEST(!ids::is_valid_idempotency_key(""));
    BOOST_TEST(!ids::is_valid_idempotency_key(std::string(129, 'k')));
    BOOST_TEST(!ids::is_valid_idempotency_key("tab\there"));
    BOOST_TEST(!ids::is_valid_idempotency_key("caf\xc3\xa9"));
}

BOOST_AUTO_TEST_SUITE_END()
