// Hosts to main domain, pod, invalid pod or unknown (SPEC §1).
#include <boost/test/unit_test.hpp>

#include "ids/ids.h"

namespace ids = webpods::ids;

BOOST_AUTO_TEST_SUITE(ids_hosts)

BOOST_AUTO_TEST_CASE(hosts_classify_into_main_pod_invalid_or_unknown) {
    using ids::HostKind;
    const std::string domain = "webpods.localhost";
    BOOST_TEST((ids::classify_host("webpods.localhost", domain).kind == HostKind::kMainDomain));
    const auto pod = ids::classify_host("alice.webpods.localhost", domain);
    BOOST_TEST((pod.kind == HostKind::kPod));
    BOOST_TEST(pod.pod == "alice");
    BOOST_TEST(
        (ids::classify_host("Bad_.webpods.localhost", domain).kind == HostKind::kInvalidPod));
    BOOST_TEST((ids::classify_host("a.b.webpods.localhost", domain).kind == HostKind::kUnknown));
    BOOST_TEST((ids::classify_host("evilwebpods.localhost", domain).kind == HostKind::kUnknown));
    BOOST_TEST((ids::classify_host("example.com", domain).kind == HostKind::kUnknown));
}

BOOST_AUTO_TEST_SUITE_END()
