// The route label of SPEC §13 and the Prometheus text of the shared counters.
#include "metrics/metrics.h"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <string>

#include "metrics/route.h"

namespace {

using webpods::http::Method;
using webpods::metrics::Route;

constexpr const char* kDomain = "webpods.localhost";

Route route(Method method, const std::string& host, const std::string& uri) {
    webpods::http::Request request;
    request.method = method;
    request.host = host;
    const std::size_t question = uri.find('?');
    request.path = uri.substr(0, question);
    request.query_string = question == std::string::npos ? "" : uri.substr(question + 1);
    return webpods::metrics::route_of(request, kDomain);
}

// The value of the sample line that starts with `prefix` (name and labels), -1 when none.
double sample(const std::string& text, const std::string& prefix) {
    const std::size_t at = text.find("\n" + prefix + " ");
    if (at == std::string::npos) {
        return -1;
    }
    return std::stod(text.substr(at + prefix.size() + 2));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(metrics_test)

BOOST_AUTO_TEST_CASE(requests_are_labelled_with_the_fixed_route_set) {
    const std::string pod = "alice.webpods.localhost";
    BOOST_TEST((route(Method::kGet, pod, "/log?i=3") == Route::kRecord));
    BOOST_TEST((route(Method::kGet, pod, "/log?i=-1") == Route::kRecord));
    BOOST_TEST((route(Method::kGet, pod, "/log/latest") == Route::kRecord));
    BOOST_TEST((route(Method::kGet, pod, "/log?i=0:10") == Route::kRange));
    BOOST_TEST((route(Method::kGet, pod, "/log?i=0%3A10") == Route::kRange));
    BOOST_TEST((route(Method::kGet, pod, "/log") == Route::kList));
    BOOST_TEST((route(Method::kHead, pod, "/log?after=3&limit=5") == Route::kList));
    BOOST_TEST((route(Method::kGet, pod, "/log?proof=inclusion&i=0") == Route::kProof));
    BOOST_TEST((route(Method::kGet, pod, "/log?checkpoint") == Route::kProof));
    BOOST_TEST((route(Method::kPost, pod, "/log") == Route::kAppend));
    BOOST_TEST((route(Method::kDelete, pod, "/log") == Route::kDelete));
    BOOST_TEST((route(Method::kPost, pod, "/.meta/owner") == Route::kMeta));
    BOOST_TEST((route(Method::kGet, pod, "/.meta/streams") == Route::kMeta));
    BOOST_TEST((route(Method::kGet, pod, "/login") == Route::kAuth));
    BOOST_TEST((route(Method::kPost, pod, "/login") == Route::kAppend));
    BOOST_TEST((route(Method::kGet, kDomain, "/health") == Route::kHealth));
    BOOST_TEST((route(Method::kGet, kDomain, "/auth/github/callback?code=x") == Route::kAuth));
    BOOST_TEST((route(Method::kGet, kDomain, "/metrics") == Route::kOther));
    BOOST_TEST((route(Method::kGet, "elsewhere.example", "/log?i=0") == Route::kOther));
    BOOST_TEST((route(Method::kPut, pod, "/log") == Route::kOther));
}

BOOST_AUTO_TEST_CASE(rendered_counters_move_by_what_was_counted_and_buckets_accumulate) {
    webpods::metrics::create_segment();
    const std::string before = webpods::metrics::render("1.2.3");
    const double appends = sample(before, "webpods_appends_total");
    webpods::metrics::count_request(Route::kAppend, 201, std::chrono::microseconds(3000));
    webpods::metrics::count_request(Route::kAppend, 412, std::chrono::microseconds(700000));
    webpods::metrics::count_request(Route::kAppend, 201, std::chrono::seconds(20));
    webpods::metrics::count_rate_limited("login");
    webpods::metrics::count_rate_limited("nonsense");
    const std::string text = webpods::metrics::render("1.2.3");
    BOOST_TEST(sample(text, "webpods_appends_total") == appends + 2);
    BOOST_TEST(sample(text, R"(webpods_http_requests_total{route="append",status="412"})") >= 1);
    const std::string bucket = R"(webpods_http_request_duration_seconds_bucket{route="append",le=)";
    const double fast = sample(text, bucket + R"("0.005"})");
    const double second = sample(text, bucket + R"("1"})");
    const double ten = sample(text, bucket + R"("10"})");
    const double all = sample(text, bucket + R"("+Inf"})");
    BOOST_TEST(fast >= 1);
    BOOST_TEST(second == fast + 1);
    BOOST_TEST(ten == second);
    BOOST_TEST(all == ten + 1);
    BOOST_TEST(sample(text, R"(webpods_http_request_duration_seconds_count{route="append"})") ==
               all);
    BOOST_TEST(sample(text, R"(webpods_rate_limited_total{action="login"})") >= 1);
    BOOST_TEST(sample(text, R"(webpods_build_info{version="1.2.3"})") == 1);
    BOOST_TEST(text.find("# TYPE webpods_http_request_duration_seconds histogram\n") !=
               std::string::npos);
    BOOST_TEST(text.find("nonsense") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
