// The route label of a request (SPEC §13).
#include "metrics/route.h"

#include "ids/ids.h"

namespace webpods::metrics {

namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

// The raw value of the first query parameter of this name; found is false when it is absent.
std::string_view query_value(std::string_view query, std::string_view name, bool& found) {
    found = false;
    while (!query.empty()) {
        const std::size_t end = std::min(query.find('&'), query.size());
        const std::string_view pair = query.substr(0, end);
        const std::size_t equals = std::min(pair.find('='), pair.size());
        if (pair.substr(0, equals) == name) {
            found = true;
            return equals < pair.size() ? pair.substr(equals + 1) : std::string_view{};
        }
        query.remove_prefix(std::min(end + 1, query.size()));
    }
    return {};
}

Route pod_read_route(const http::Request& request) {
    const std::string_view query = request.query_string;
    bool found = false;
    query_value(query, "proof", found);
    if (found) {
        return Route::kProof;
    }
    query_value(query, "checkpoint", found);
    if (found) {
        return Route::kProof;
    }
    const std::string_view index = query_value(query, "i", found);
    if (found) {
        const bool range = index.find(':') != std::string_view::npos ||
                           index.find("%3A") != std::string_view::npos ||
                           index.find("%3a") != std::string_view::npos;
        return range ? Route::kRange : Route::kRecord;
    }
    // Two or more segments name a stream or a stream and an alias; counted as records.
    const std::string_view path = request.path;
    return path.size() > 1 && path.find('/', 1) != std::string_view::npos ? Route::kRecord
                                                                          : Route::kList;
}

}  // namespace

Route route_of(const http::Request& request, std::string_view domain) {
    const ids::HostClass host = ids::classify_host(request.host, domain);
    const std::string_view path = request.path;
    const bool reads =
        request.method == http::Method::kGet || request.method == http::Method::kHead;
    switch (host.kind) {
        case ids::HostKind::kMainDomain:
            if (path == "/health") {
                return Route::kHealth;
            }
            return starts_with(path, "/auth/") ? Route::kAuth : Route::kOther;
        case ids::HostKind::kPod:
            break;
        case ids::HostKind::kInvalidPod:
        case ids::HostKind::kUnknown:
            return Route::kOther;
    }
    if (reads && (path == "/login" || path == "/auth/callback")) {
        return Route::kAuth;
    }
    if (starts_with(path, "/.meta/")) {
        return Route::kMeta;
    }
    switch (request.method) {
        case http::Method::kPost:
            return Route::kAppend;
        case http::Method::kDelete:
            return Route::kDelete;
        case http::Method::kGet:
        case http::Method::kHead:
            return pod_read_route(request);
        case http::Method::kPut:
        case http::Method::kPatch:
        case http::Method::kOptions:
        case http::Method::kOther:
            break;
    }
    return Route::kOther;
}

}  // namespace webpods::metrics
