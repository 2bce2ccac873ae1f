// The discovery document of each issuer, fetched through auth/http_client and cached an hour.
#include "auth/oidc_discovery.h"

#include <chrono>
#include <map>
#include <mutex>
#include <string_view>

#include "auth/http_client.h"

namespace webpods::auth {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::hours kDiscoveryLifetime{1};
constexpr std::string_view kDiscoveryPath = "/.well-known/openid-configuration";

std::string without_trailing_slash(std::string url) {
    while (!url.empty() && url.back() == '/') {
        url.pop_back();
    }
    return url;
}

DiscoveredEndpoints fetch_document(const std::string& configured_issuer) {
    const std::string issuer = without_trailing_slash(configured_issuer);
    const std::string url = issuer + std::string(kDiscoveryPath);
    const ProviderAnswer answer = provider_get(url, {});
    if (answer.status != 200) {
        throw_provider_error(answer.endpoint + ": answered " + std::to_string(answer.status));
    }
    const Poco::JSON::Object::Ptr document = parse_object(answer.body);
    if (!document) {
        throw_provider_error(url + ": not a JSON object");
    }
    // OpenID Connect Discovery §4.3: the document must name the issuer it was fetched for.
    if (without_trailing_slash(string_member(*document, "issuer")) != issuer) {
        throw_provider_error(url + ": the document names another issuer");
    }
    DiscoveredEndpoints endpoints;
    endpoints.authorization = string_member(*document, "authorization_endpoint");
    endpoints.token = string_member(*document, "token_endpoint");
    endpoints.userinfo = string_member(*document, "userinfo_endpoint");
    return endpoints;
}

// Discovered endpoints per issuer, shared by the threads of a worker process.
class DiscoveryCache {
public:
    DiscoveredEndpoints get(const std::string& issuer) {
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            const auto found = entries_.find(issuer);
            if (found != entries_.end() &&
                Clock::now() - found->second.fetched < kDiscoveryLifetime) {
                return found->second.endpoints;
            }
        }
        // Fetched without the lock: a slow provider must not stall logins with other providers.
        DiscoveredEndpoints endpoints = fetch_document(issuer);
        const std::lock_guard<std::mutex> lock(mutex_);
        entries_[issuer] = Entry{endpoints, Clock::now()};
        return endpoints;
    }

private:
    struct Entry {
        DiscoveredEndpoints endpoints;
        Clock::time_point fetched;
    };
    std::mutex mutex_;
    std::map<std::string, Entry> entries_;
};

}  // namespace

DiscoveredEndpoints discover_endpoints(const std::string& issuer) {
    static DiscoveryCache cache;
    return cache.get(issuer);
}

}  // namespace webpods::auth
