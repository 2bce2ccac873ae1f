// The route table: which row answers a method and path, and the 404 / 405 answers (SPEC §1-§3).
#include "routing/routes.h"

#include <boost/test/unit_test.hpp>

#include "config/config.h"
#include "errors/errors.h"
#include "handlers/login.h"
#include "handlers/pods.h"
#include "handlers/proofs.h"
#include "handlers/sessions.h"
#include "handlers/streams.h"
#include "routing/router.h"

namespace errors = webpods::errors;
namespace handlers = webpods::handlers;
namespace http = webpods::http;
namespace routing = webpods::routing;

namespace {

using http::Method;
using routing::HostKind;

routing::RouteMatch on_pod(Method method, const std::string& path) {
    handlers::RouteParams params;
    params.pod = "alice";
    params.stream_id = path.substr(1);
    return routing::match_route(HostKind::kPod, method, path, params);
}

routing::RouteMatch on_main(Method method, const std::string& path) {
    return routing::match_route(HostKind::kMainDomain, method, path, {});
}

// The Allow header of the 405 that `match` throws.
template <typename Match>
std::string allow_of(Match match) {
    try {
        match();
    } catch (const errors::Error& error) {
        BOOST_TEST(error.public_code() == "METHOD_NOT_ALLOWED");
        for (const auto& [name, value] : error.headers()) {
            if (name == "Allow") {
                return value;
            }
        }
        return "(no Allow header)";
    }
    return "(no error)";
}

bool is_not_found(const errors::Error& error) { return error.public_code() == "NOT_FOUND"; }

}  // namespace

BOOST_AUTO_TEST_SUITE(routing_routes)

BOOST_AUTO_TEST_CASE(stream_methods_reach_their_handlers_with_the_steps_they_need) {
    const auto write = on_pod(Method::kPost, "/blog/2024");
    BOOST_TEST(write.route->handler == &handlers::write_record);
    BOOST_TEST((write.route->auth == routing::AuthPolicy::kPodWriter));
    BOOST_TEST((write.route->charge == routing::Charge::kWrite));
    BOOST_TEST(write.params.stream_id == "blog/2024");
    const auto read = on_pod(Method::kHead, "/blog/2024");
    BOOST_TEST(read.route->handler == &handlers::read_path);
    BOOST_TEST((read.route->auth == routing::AuthPolicy::kPodReader));
    BOOST_TEST((read.route->charge == routing::Charge::kRead));
    const auto remove = on_pod(Method::kDelete, "/blog/2024");
    BOOST_TEST(remove.route->handler == &handlers::delete_stream);
    BOOST_TEST((remove.route->charge == routing::Charge::kWrite));
}

BOOST_AUTO_TEST_CASE(system_streams_have_their_own_writers_and_ordinary_reads) {
    BOOST_TEST(on_pod(Method::kPost, "/.meta/owner").route->handler == &handlers::transfer_owner);
    BOOST_TEST(on_pod(Method::kGet, "/.meta/owner").route->handler == &handlers::read_path);
    BOOST_TEST(on_pod(Method::kPost, "/.meta/links").route->handler == &handlers::set_links);
    BOOST_TEST(on_pod(Method::kGet, "/.meta/streams").route->handler == &handlers::list_streams);
    BOOST_TEST(on_pod(Method::kDelete, "/").route->handler == &handlers::delete_pod);
}

BOOST_AUTO_TEST_CASE(login_paths_of_a_pod_are_streams_for_writes) {
    BOOST_TEST(on_pod(Method::kGet, "/login").route->handler != &handlers::read_path);
    BOOST_TEST((on_pod(Method::kGet, "/login").route->auth == routing::AuthPolicy::kNone));
    BOOST_TEST(on_pod(Method::kPost, "/login").route->handler == &handlers::write_record);
    BOOST_TEST(on_pod(Method::kPost, "/auth/callback").route->handler == &handlers::write_record);
}

BOOST_AUTO_TEST_CASE(unsupported_methods_answer_405_with_the_resources_methods) {
    BOOST_TEST(allow_of([] { on_pod(Method::kPut, "/blog"); }) == "GET, HEAD, POST, DELETE");
    BOOST_TEST(allow_of([] { on_pod(Method::kPatch, "/"); }) == "GET, HEAD, DELETE");
    BOOST_TEST(allow_of([] { on_main(Method::kPut, "/auth/logout"); }) == "GET, POST");
    BOOST_TEST(allow_of([] { on_main(Method::kHead, "/auth/logout"); }) == "GET, POST");
    BOOST_TEST(allow_of([] { on_main(Method::kPut, "/auth/sessions"); }) == "GET, HEAD, DELETE");
    BOOST_TEST(allow_of([] { on_main(Method::kGet, "/auth/sessions/abc"); }) == "DELETE");
    BOOST_TEST(allow_of([] { on_main(Method::kPost, "/health"); }) == "GET, HEAD");
    BOOST_TEST(allow_of([] { on_main(Method::kPost, "/auth/github"); }) == "GET, HEAD");
}

BOOST_AUTO_TEST_CASE(fixed_auth_names_are_never_providers) {
    BOOST_TEST(on_main(Method::kGet, "/auth/sessions").route->handler == &handlers::list_sessions);
    BOOST_TEST(
        (on_main(Method::kGet, "/auth/whoami").route->auth == routing::AuthPolicy::kMainToken));
    const auto provider = on_main(Method::kGet, "/auth/github");
    BOOST_TEST(provider.params.name == "github");
    const auto callback = on_main(Method::kGet, "/auth/github/callback");
    BOOST_TEST(callback.params.name == "github");
    BOOST_TEST(callback.route != provider.route);
}

BOOST_AUTO_TEST_CASE(checkpoint_key_is_a_main_domain_read_without_database) {
    const auto key = on_main(Method::kGet, "/.well-known/webpods-checkpoint-key");
    BOOST_TEST(key.route->handler == &handlers::checkpoint_key);
    BOOST_TEST((key.route->lease == routing::Lease::kNone));
    BOOST_TEST(allow_of([] { on_main(Method::kPost, "/.well-known/webpods-checkpoint-key"); }) ==
               "GET, HEAD");
    BOOST_CHECK_EXCEPTION(on_main(Method::kGet, "/.well-known/other"), errors::Error, is_not_found);
}

// A provider with the id of a fixed /auth/ route could never be logged in with: config/ keeps the
// list of those names, and this keeps it complete.
BOOST_AUTO_TEST_CASE(every_fixed_auth_segment_is_a_reserved_provider_id) {
    int fixed = 0;
    for (const auto& route : routing::route_table()) {
        constexpr std::string_view kPrefix = "/auth/";
        if (route.shape.substr(0, kPrefix.size()) != kPrefix) {
            continue;
        }
        const std::string_view rest = route.shape.substr(kPrefix.size());
        const std::string_view segment = rest.substr(0, rest.find('/'));
        if (segment.front() == '{') {
            continue;
        }
        ++fixed;
        BOOST_TEST(webpods::config::is_reserved_provider_id(segment), segment);
    }
    BOOST_TEST(fixed >= 8);
    BOOST_TEST(!webpods::config::is_reserved_provider_id("github"));
}

BOOST_AUTO_TEST_CASE(unknown_paths_are_not_found) {
    BOOST_CHECK_EXCEPTION(on_main(Method::kGet, "/"), errors::Error, is_not_found);
    BOOST_CHECK_EXCEPTION(on_main(Method::kGet, "/auth/"), errors::Error, is_not_found);
    BOOST_CHECK_EXCEPTION(on_main(Method::kGet, "/auth/a/b"), errors::Error, is_not_found);
    BOOST_CHECK_EXCEPTION(on_main(Method::kGet, "/auth/a/callback/x"), errors::Error, is_not_found);
    BOOST_CHECK_EXCEPTION(on_main(Method::kGet, "/blog"), errors::Error, is_not_found);
}

BOOST_AUTO_TEST_SUITE_END()
