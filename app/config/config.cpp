// Reads webpods' JSON config file (SPEC §7): every key checked, defaults filled in.
#include "config/config.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <set>
#include <system_error>
#include <thread>
#include <utility>

namespace webpods::config {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;
using Keys = std::initializer_list<std::string_view>;

constexpr std::int64_t kMaxInt = std::numeric_limits<int>::max();
constexpr std::int64_t kMaxInt64 = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMaxPort = 65535;

[[noreturn]] void fail(const std::string& path, const std::string& message) {
    throw ConfigError(path + ": " + message);
}

std::string quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// "$NAME" with NAME a shell-style variable name; anything else containing '$' stays literal.
bool is_env_reference(const std::string& text) {
    if (text.size() < 2 || text[0] != '$' || (text[1] >= '0' && text[1] <= '9')) {
        return false;
    }
    return std::all_of(text.begin() + 1, text.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '_';
    });
}

// Lower-case DNS name: labels of letters, digits and hyphens, separated by single dots.
bool is_domain(const std::string& text) {
    if (text.empty() || text.front() == '.' || text.back() == '.' ||
        text.find("..") != std::string::npos) {
        return false;
    }
    return std::all_of(
        text.begin(), text.end(), [](char c) { return is_lower_alnum(c) || c == '-' || c == '.'; });
}

// http:// or https://, then a host.
bool is_http_url(std::string_view text) {
    const std::size_t separator = text.find("://");
    if (separator == std::string_view::npos) {
        return false;
    }
    const std::string_view scheme = text.substr(0, separator);
    const std::string_view rest = text.substr(separator + 3);
    return (scheme == "http" || scheme == "https") && !rest.empty() && rest[0] != '/';
}

// ^[a-z0-9][a-z0-9_-]*$
bool is_provider_id(const std::string& text) {
    return !text.empty() && is_lower_alnum(text[0]) &&
           std::all_of(text.begin(), text.end(), [](char c) {
               return is_lower_alnum(c) || c == '-' || c == '_';
           });
}

// The literal segments after /auth/ in the route table (routing/routes.cpp); a unit test there
// checks that this list names every one.
constexpr std::array<std::string_view, 8> kReservedProviderIds = {
    "providers", "session", "sessions", "logout", "authorize", "success", "whoami", "callback"};

// One JSON object of the file, read key by key. The keys it may hold are declared up front and
// checked first, so a misspelt key is reported as unknown rather than as a missing value.
class Section {
public:
    Section(const Var& value, std::string path, const EnvLookup& env, Keys keys)
        : path_(std::move(path)), env_(env) {
        if (value.type() != typeid(Object::Ptr)) {
            fail(path_, "expected an object");
        }
        object_ = value.extract<Object::Ptr>();
        const std::set<std::string_view> allowed(keys);
        for (const auto& entry : *object_) {
            if (allowed.count(entry.first) == 0) {
                fail(path_of(entry.first), "unknown key");
            }
        }
    }

    std::string path_of(std::string_view key) const {
        return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
    }

    bool has(std::string_view key) const { return object_->has(std::string(key)); }

    std::optional<std::string> string(std::string_view key) const {
        const std::optional<Var> value = find(key);
        if (!value) {
            return std::nullopt;
        }
        if (value->type() != typeid(std::string)) {
            fail(path_of(key), "expected a string");
        }
        const auto& text = value->extract<std::string>();
        if (!is_env_reference(text)) {
            return text;
        }
        const std::string name = text.substr(1);
        std::optional<std::string> resolved = env_(name);
        if (!resolved) {
            fail(path_of(key), "environment variable " + name + " is not set");
        }
        return resolved;
    }

    std::string string_or(std::string_view key, std::string fallback) const {
        return string(key).value_or(std::move(fallback));
    }

    std::string required_string(std::string_view key) const {
        std::string text = string(key).value_or("");
        if (text.empty()) {
            fail(path_of(key), "required");
        }
        return text;
    }

    // An absent URL is empty; a present one must be http(s).
    std::string url(std::string_view key) const {
        std::optional<std::string> text = string(key);
        if (text && !is_http_url(*text)) {
            fail(path_of(key), "must start with http:// or https://");
        }
        return text.value_or("");
    }

    std::int64_t positive_or(std::string_view key,
                             std::int64_t fallback,
                             std::int64_t max = kMaxInt64) const {
        const std::optional<Var> value = find(key);
        if (!value) {
            return fallback;
        }
        // Poco reports bool as an integer type, so booleans are excluded explicitly.
        if (!value->isInteger() || value->isBoolean()) {
            fail(path_of(key), "expected an integer");
        }
        std::int64_t number = 0;
        try {
            number = value->convert<std::int64_t>();
        } catch (const Poco::Exception&) {
            fail(path_of(key), "must be at most " + std::to_string(max));
        }
        if (number <= 0) {
            fail(path_of(key), "must be a positive integer");
        }
        if (number > max) {
            fail(path_of(key), "must be at most " + std::to_string(max));
        }
        return number;
    }

    int positive_int_or(std::string_view key, int fallback, std::int64_t max = kMaxInt) const {
        return static_cast<int>(positive_or(key, fallback, max));
    }

    bool boolean_or(std::string_view key, bool fallback) const {
        const std::optional<Var> value = find(key);
        if (!value) {
            return fallback;
        }
        if (value->type() != typeid(bool)) {
            fail(path_of(key), "expected a boolean");
        }
        return value->extract<bool>();
    }

    std::optional<Section> section(std::string_view key, Keys keys) const {
        const std::optional<Var> value = find(key);
        if (!value) {
            return std::nullopt;
        }
        return Section(*value, path_of(key), env_, keys);
    }

    // The elements of an array, each with its path ("oauth.providers[1]").
    std::vector<std::pair<Var, std::string>> array(std::string_view key) const {
        std::vector<std::pair<Var, std::string>> elements;
        const std::optional<Var> value = find(key);
        if (!value) {
            return elements;
        }
        if (value->type() != typeid(Array::Ptr)) {
            fail(path_of(key), "expected an array");
        }
        for (const Var& element : *value->extract<Array::Ptr>()) {
            elements.emplace_back(element,
                                  path_of(key) + "[" + std::to_string(elements.size()) + "]");
        }
        return elements;
    }

    const EnvLookup& env() const { return env_; }

private:
    std::optional<Var> find(std::string_view key) const {
        if (!has(key)) {
            return std::nullopt;
        }
        // in_place: Var's templated conversion operator would compete with optional's constructor.
        return std::optional<Var>(std::in_place, object_->get(std::string(key)));
    }

    Object::Ptr object_;
    std::string path_;
    const EnvLookup& env_;
};

void read_server(const Section& server, Config& config) {
    config.domain = server.required_string("domain");
    if (!is_domain(config.domain)) {
        fail(server.path_of("domain"), "must be a lower-case DNS name");
    }
    config.public_url = server.url("publicUrl");
    if (config.public_url.empty()) {
        config.public_url = "https://" + config.domain;
    }
    // Redirect URLs are built as public_url + "/path".
    while (config.public_url.back() == '/') {
        config.public_url.pop_back();
    }
    config.max_payload_size = server.positive_or("maxPayloadSize", config.max_payload_size);
    config.max_response_size = server.positive_or("maxResponseSize", config.max_response_size);
}

void read_database(const Section& database, Database& result) {
    result.configured = true;
    result.host = database.string_or("host", result.host);
    result.port = database.positive_int_or("port", result.port, kMaxPort);
    result.name = database.string_or("name", result.name);
    result.user = database.string_or("user", result.user);
    result.password = database.string_or("password", result.password);
    result.connect_timeout = database.positive_int_or("connectTimeout", result.connect_timeout);
    result.replica_timeout = database.positive_int_or("replicaTimeout", result.replica_timeout);
    for (const auto& [value, path] : database.array("replicas")) {
        const Section entry(
            value, path, database.env(), {"host", "port", "name", "user", "password"});
        Replica replica;
        replica.host = entry.required_string("host");
        replica.port = entry.positive_int_or("port", replica.port, kMaxPort);
        replica.name = entry.string_or("name", result.name);
        replica.user = entry.string_or("user", result.user);
        replica.password = entry.string_or("password", result.password);
        result.replicas.push_back(std::move(replica));
    }
}

// HMAC-SHA256 keys: shorter than the hash's 32 bytes, a secret is the weakest part of a token
// or session key, and guessable ones ("secret", "changeme") are short (SPEC §7).
constexpr std::size_t kMinSecretBytes = 32;

std::string required_secret(const Section& auth, const std::string& key) {
    std::string secret = auth.required_string(key);
    if (secret.size() < kMinSecretBytes) {
        fail("auth." + key, "must be at least 32 bytes (e.g. openssl rand -hex 32)");
    }
    return secret;
}

void read_auth(const Section& auth, Config& config) {
    config.jwt_secret = required_secret(auth, "jwtSecret");
    config.session_secret = required_secret(auth, "sessionSecret");
    config.jwt_expiry = auth.positive_or("jwtExpiry", config.jwt_expiry);
}

OAuthProvider read_provider(const Section& entry) {
    OAuthProvider provider;
    provider.id = entry.required_string("id");
    if (!is_provider_id(provider.id)) {
        fail(entry.path_of("id"), "must match ^[a-z0-9][a-z0-9_-]*$");
    }
    if (is_reserved_provider_id(provider.id)) {
        fail(entry.path_of("id"),
             quoted(provider.id) + " is reserved: /auth/" + provider.id + " is a fixed route");
    }
    provider.client_id = entry.required_string("clientId");
    provider.client_secret = entry.string_or("clientSecret", "");
    provider.issuer = entry.url("issuer");
    provider.auth_url = entry.url("authUrl");
    provider.token_url = entry.url("tokenUrl");
    provider.userinfo_url = entry.url("userinfoUrl");
    provider.email_url = entry.url("emailUrl");
    provider.callback_url = entry.url("callbackUrl");
    if (provider.issuer.empty()) {
        for (const auto& [key, url] : {std::pair{"authUrl", &provider.auth_url},
                                       std::pair{"tokenUrl", &provider.token_url},
                                       std::pair{"userinfoUrl", &provider.userinfo_url}}) {
            if (url->empty()) {
                fail(entry.path_of(key),
                     "required without issuer (provider " + quoted(provider.id) + ")");
            }
        }
    }
    provider.scope =
        entry.string_or("scope", provider.issuer.empty() ? "" : "openid email profile");
    for (const auto& [key, field] : {std::pair{"userIdField", &provider.user_id_field},
                                     std::pair{"emailField", &provider.email_field},
                                     std::pair{"nameField", &provider.name_field}}) {
        *field = entry.string_or(key, *field);
        if (field->empty()) {
            fail(entry.path_of(key), "must not be empty");
        }
    }
    return provider;
}

void read_oauth(const Section& oauth, Config& config) {
    for (const auto& [value, path] : oauth.array("providers")) {
        const Section entry(value,
                            path,
                            oauth.env(),
                            {"id",
                             "clientId",
                             "clientSecret",
                             "issuer",
                             "authUrl",
                             "tokenUrl",
                             "userinfoUrl",
                             "emailUrl",
                             "callbackUrl",
                             "scope",
                             "userIdField",
                             "emailField",
                             "nameField"});
        OAuthProvider provider = read_provider(entry);
        if (config.find_provider(provider.id) != nullptr) {
            fail(entry.path_of("id"), "duplicate provider " + quoted(provider.id));
        }
        config.providers.push_back(std::move(provider));
    }
    config.default_provider = oauth.string_or("defaultProvider", "");
    if (oauth.has("defaultProvider") && config.find_provider(config.default_provider) == nullptr) {
        fail(oauth.path_of("defaultProvider"),
             "unknown provider " + quoted(config.default_provider));
    }
}

void read_rate_limits(const Section& limits, RateLimits& result) {
    result.enabled = limits.boolean_or("enabled", result.enabled);
    result.writes = limits.positive_or("writes", result.writes);
    result.reads = limits.positive_or("reads", result.reads);
    result.pod_create = limits.positive_or("podCreate", result.pod_create);
    result.stream_create = limits.positive_or("streamCreate", result.stream_create);
    result.logins = limits.positive_or("logins", result.logins);
}

// A signed-note key name: printable ASCII without spaces or '+' (C2SP signed-note).
bool is_key_name(const std::string& text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return c > ' ' && c < 0x7F && c != '+';
    });
}

void read_checkpoint(const Section& checkpoint, Config& config) {
    config.checkpoint_key_file = checkpoint.string_or("keyFile", "");
    config.checkpoint_key_name = checkpoint.string_or("keyName", config.checkpoint_key_name);
    if (!is_key_name(config.checkpoint_key_name)) {
        fail(checkpoint.path_of("keyName"), "must be printable ASCII without spaces or '+'");
    }
}

void read_live(const Section& live, Live& result) {
    result.keepalive_seconds =
        live.positive_int_or("keepaliveSeconds", result.keepalive_seconds, 15);
    result.poll_milliseconds =
        live.positive_int_or("pollMilliseconds", result.poll_milliseconds, 1000);
    result.max_subscribers = live.positive_int_or("maxSubscribers", result.max_subscribers);
}

void read_metrics(const Section& metrics, Config& config) {
    if (!metrics.has("allow")) {
        return;
    }
    config.metrics_allow.clear();
    for (const auto& [value, path] : metrics.array("allow")) {
        if (value.type() != typeid(std::string)) {
            fail(path, "expected a string");
        }
        const auto& address = value.extract<std::string>();
        std::array<unsigned char, sizeof(in6_addr)> bytes{};
        if (inet_pton(AF_INET, address.c_str(), bytes.data()) != 1 &&
            inet_pton(AF_INET6, address.c_str(), bytes.data()) != 1) {
            fail(path, "expected an IPv4 or IPv6 address");
        }
        config.metrics_allow.push_back(address);
    }
}

}  // namespace

bool is_reserved_provider_id(std::string_view id) {
    return std::find(kReservedProviderIds.begin(), kReservedProviderIds.end(), id) !=
           kReservedProviderIds.end();
}

const OAuthProvider* Config::find_provider(std::string_view id) const {
    const auto it = std::find_if(providers.begin(), providers.end(), [id](const auto& provider) {
        return provider.id == id;
    });
    return it == providers.end() ? nullptr : &*it;
}

Config parse_config(const std::string& json_text, const EnvLookup& env) {
    Var root;
    try {
        root = Poco::JSON::Parser().parse(json_text);
    } catch (const Poco::Exception& error) {
        throw ConfigError("config: invalid JSON: " + error.displayText());
    }
    if (root.type() != typeid(Object::Ptr)) {
        throw ConfigError("config: expected a JSON object");
    }
    const Section file(root,
                       "",
                       env,
                       {"server",
                        "database",
                        "auth",
                        "oauth",
                        "rateLimits",
                        "checkpoint",
                        "live",
                        "metrics",
                        "workers",
                        "threadsPerWorker"});

    Config config;
    const std::optional<Section> server =
        file.section("server", {"domain", "publicUrl", "maxPayloadSize", "maxResponseSize"});
    if (!server) {
        fail("server.domain", "required");
    }
    read_server(*server, config);
    if (auto database = file.section("database",
                                     {"host",
                                      "port",
                                      "name",
                                      "user",
                                      "password",
                                      "connectTimeout",
                                      "replicaTimeout",
                                      "replicas"})) {
        read_database(*database, config.database);
    }
    const std::optional<Section> auth =
        file.section("auth", {"jwtSecret", "sessionSecret", "jwtExpiry"});
    if (!auth) {
        fail("auth.jwtSecret", "required");
    }
    read_auth(*auth, config);
    if (auto oauth = file.section("oauth", {"defaultProvider", "providers"})) {
        read_oauth(*oauth, config);
    }
    if (auto limits = file.section(
            "rateLimits", {"enabled", "writes", "reads", "podCreate", "streamCreate", "logins"})) {
        read_rate_limits(*limits, config.rate_limits);
    }
    config.checkpoint_key_name = config.domain;
    if (auto checkpoint = file.section("checkpoint", {"keyFile", "keyName"})) {
        read_checkpoint(*checkpoint, config);
    }
    if (auto live =
            file.section("live", {"keepaliveSeconds", "pollMilliseconds", "maxSubscribers"})) {
        read_live(*live, config.live);
    }
    if (auto metrics = file.section("metrics", {"allow"})) {
        read_metrics(*metrics, config);
    }
    const auto cores = static_cast<int>(std::thread::hardware_concurrency());  // 0 if unknown
    config.workers = file.positive_int_or("workers", std::max(cores, 1));
    config.threads_per_worker = file.positive_int_or("threadsPerWorker", config.threads_per_worker);
    return config;
}

Config load_config_file(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    std::string text;
    try {
        text.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
    } catch (const std::ios_base::failure&) {  // libstdc++ throws on a read error (a directory)
        file.setstate(std::ios::badbit);
    }
    if (!file.is_open() || file.bad()) {
        throw ConfigError("config: cannot read " + path + ": " +
                          std::generic_category().message(errno));
    }
    return parse_config(text, [](const std::string& name) -> std::optional<std::string> {
        // Called only at start, before any thread runs.
        const char* value = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe)
        return value == nullptr ? std::nullopt : std::optional<std::string>(value);
    });
}

}  // namespace webpods::config
