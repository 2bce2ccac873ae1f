// Fuzzes config parsing (SPEC §7) and checks the promises of config::Config on success.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "property.h"

namespace {

namespace config = webpods::config;
using webpods::fuzz::expect;

// A fixed environment: "$UNSET..." is not set, "$EMPTY..." is empty, "$URL..." and
// "$DOMAIN..." give values that pass those checks, any other name gives a secret-like string.
std::optional<std::string> lookup(const std::string& name) {
    const auto starts = [&name](std::string_view prefix) { return name.rfind(prefix, 0) == 0; };
    if (starts("UNSET")) return std::nullopt;
    if (starts("EMPTY")) return std::string();
    if (starts("URL")) return std::string("https://env.example/");
    if (starts("DOMAIN")) return std::string("env.example");
    return std::string("env-value");
}

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

bool is_http_url_or_empty(std::string_view url) {
    return url.empty() || starts_with(url, "http://") || starts_with(url, "https://");
}

void check_provider(const config::Config& parsed, const config::OAuthProvider& provider) {
    expect(!provider.id.empty() && !provider.client_id.empty(), "provider without id");
    expect(parsed.find_provider(provider.id) == &provider, "provider id not unique");
    expect(!provider.issuer.empty() || (!provider.auth_url.empty() && !provider.token_url.empty() &&
                                        !provider.userinfo_url.empty()),
           "provider with neither issuer nor endpoints");
    for (const std::string* url : {&provider.issuer,
                                   &provider.auth_url,
                                   &provider.token_url,
                                   &provider.userinfo_url,
                                   &provider.email_url,
                                   &provider.callback_url}) {
        expect(is_http_url_or_empty(*url), "provider URL that is not http(s)");
    }
    expect(!provider.user_id_field.empty() && !provider.email_field.empty() &&
               !provider.name_field.empty(),
           "provider with an empty field name");
}

void check(const config::Config& parsed) {
    expect(!parsed.domain.empty(), "config without domain");
    expect(starts_with(parsed.public_url, "http://") || starts_with(parsed.public_url, "https://"),
           "public_url is not http(s)");
    expect(parsed.public_url.back() != '/', "public_url ends in '/'");
    expect(!parsed.jwt_secret.empty() && !parsed.session_secret.empty(), "empty secret");
    expect(parsed.max_payload_size > 0 && parsed.jwt_expiry > 0, "non-positive number");
    expect(parsed.workers >= 1 && parsed.threads_per_worker >= 1, "no workers or threads");
    expect(parsed.database.port >= 1 && parsed.database.port <= 65535, "port out of range");
    const config::RateLimits& limits = parsed.rate_limits;
    expect(
        limits.writes > 0 && limits.reads > 0 && limits.pod_create > 0 && limits.stream_create > 0,
        "non-positive rate limit");
    expect(
        parsed.default_provider.empty() || parsed.find_provider(parsed.default_provider) != nullptr,
        "default provider is unknown");
    for (const config::OAuthProvider& provider : parsed.providers) check_provider(parsed, provider);
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(webpods::fuzz::text_of(data, size));
    try {
        check(config::parse_config(text, lookup));
    } catch (const config::ConfigError& error) {
        expect(error.what()[0] != '\0', "ConfigError without a message");
    }
    return 0;
}
