// Who an anonymous caller is counted as (SPEC §10): IPv4 by address, IPv6 by its /64.
#include "handlers/rate_limit.h"

#include <boost/test/unit_test.hpp>

namespace handlers = webpods::handlers;

BOOST_AUTO_TEST_SUITE(handlers_rate_limit)

BOOST_AUTO_TEST_CASE(ipv4_callers_are_keyed_on_the_full_address) {
    BOOST_TEST(handlers::address_identity("192.0.2.17") == "ip:192.0.2.17");
    BOOST_TEST(handlers::address_identity("127.0.0.1") == "ip:127.0.0.1");
}

BOOST_AUTO_TEST_CASE(ipv6_callers_are_keyed_on_their_slash_64) {
    BOOST_TEST(handlers::address_identity("2001:db8:1:2:3:4:5:6") == "ip:2001:db8:1:2::/64");
    BOOST_TEST(handlers::address_identity("2001:db8:1:2::1") == "ip:2001:db8:1:2::/64");
    BOOST_TEST(handlers::address_identity("2001:0DB8:0001:0002:ffff:ffff:ffff:ffff") ==
               "ip:2001:db8:1:2::/64");
    BOOST_TEST(handlers::address_identity("2001:db8:1:3::1") == "ip:2001:db8:1:3::/64");
    BOOST_TEST(handlers::address_identity("::1") == "ip:::/64");
    BOOST_TEST(handlers::address_identity("fe80::1:2:3:4") == "ip:fe80::/64");
}

BOOST_AUTO_TEST_CASE(ipv4_mapped_ipv6_is_the_ipv4_host) {
    BOOST_TEST(handlers::address_identity("::ffff:192.0.2.17") == "ip:192.0.2.17");
}

BOOST_AUTO_TEST_CASE(anything_else_is_kept_as_it_came) {
    BOOST_TEST(handlers::address_identity("") == "ip:");
    BOOST_TEST(handlers::address_identity("unix:") == "ip:unix:");
    BOOST_TEST(handlers::address_identity("2001:db8::1%eth0") == "ip:2001:db8::1%eth0");
}

BOOST_AUTO_TEST_SUITE_END()
