// Unit tests of config/: defaults, "$VAR" substitution, and rejection of bad keys and values.
#include "config/config.h"

#include <unistd.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

namespace webpods::config {
namespace {

constexpr std::string_view kMinimal = R"({"server": {"domain": "webpods.localhost"},
                                         "auth": {"jwtSecret": "jjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjj", "sessionSecret": "ssssssssssssssssssssssssssssssss"}})";

constexpr std::string_view kGithub =
    R"({"id": "github", "clientId": "c", "authUrl": "https://github.com/login/oauth/authorize",
        "tokenUrl": "https://github.com/login/oauth/access_token",
        "userinfoUrl": "https://api.github.com/user"})";

std::optional<std::string> fake_env(const std::string& name) {
    static const std::map<std::string, std::string> environment = {
        {"WEBPODS_JWT_SECRET", "jwt-from-env-0123456789abcdef0123456789"},
        {"WEBPODS_SESSION_SECRET", "session-from-env-0123456789abcdef012345"},
        {"WEBPODS_DB_PASSWORD", "db-from-env"},
        {"GITHUB_SECRET", "gh-from-env"},
        {"GOOGLE_SECRET", "google-from-env"},
    };
    const auto it = environment.find(name);
    if (it == environment.end()) {
        return std::nullopt;
    }
    return it->second;
}

// The minimal config with more top-level members.
std::string with(const std::string& members) {
    return std::string(kMinimal.substr(0, kMinimal.size() - 1)) + ", " + members + "}";
}

std::string with_providers(const std::string& providers) {
    return with(R"("oauth": {"providers": [)" + providers + "]}");
}

Config parse(std::string_view json) { return parse_config(std::string(json), fake_env); }

// The ConfigError message parsing json gives, or "" when it parses.
std::string error_of(std::string_view json) {
    try {
        parse(json);
    } catch (const ConfigError& error) {
        return error.what();
    }
    return "";
}

bool starts_with(const std::string& text, const std::string& prefix) {
    return text.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(config_test)

BOOST_AUTO_TEST_CASE(minimal_config_gets_the_documented_defaults) {
    const Config config = parse(kMinimal);
    BOOST_TEST(config.domain == "webpods.localhost");
    BOOST_TEST(config.public_url == "https://webpods.localhost");
    BOOST_TEST(config.max_payload_size == 10485760);
    BOOST_TEST(config.max_response_size == 16777216);
    BOOST_TEST(!config.database.configured);
    BOOST_TEST(config.jwt_secret == std::string(32, 'j'));
    BOOST_TEST(config.session_secret == std::string(32, 's'));
    BOOST_TEST(config.jwt_expiry == 604800);
    BOOST_TEST(config.default_provider.empty());
    BOOST_TEST(config.providers.empty());
    BOOST_TEST(config.rate_limits.enabled);
    BOOST_TEST(config.rate_limits.writes == 1000);
    BOOST_TEST(config.rate_limits.reads == 10000);
    BOOST_TEST(config.rate_limits.pod_create == 10);
    BOOST_TEST(config.rate_limits.stream_create == 100);
    BOOST_TEST(config.rate_limits.logins == 300);
    BOOST_TEST(config.threads_per_worker == 16);
}

BOOST_AUTO_TEST_CASE(checkpoint_key_is_optional_and_named_after_the_domain) {
    const Config defaults = parse(kMinimal);
    BOOST_TEST(defaults.checkpoint_key_file.empty());
    BOOST_TEST(defaults.checkpoint_key_name == "webpods.localhost");
    const Config given = parse(with(
        R"("checkpoint": {"keyFile": "/etc/webpods/checkpoint.key", "keyName": "log.example"})"));
    BOOST_TEST(given.checkpoint_key_file == "/etc/webpods/checkpoint.key");
    BOOST_TEST(given.checkpoint_key_name == "log.example");
    BOOST_TEST(error_of(with(R"("checkpoint": {"keyName": "two words"})")) ==
               "checkpoint.keyName: must be printable ASCII without spaces or '+'");
    BOOST_TEST(error_of(with(R"("checkpoint": {"keyFile": 3})")) ==
               "checkpoint.keyFile: expected a string");
    BOOST_TEST(error_of(with(R"("checkpoint": {"key": "x"})")) == "checkpoint.key: unknown key");
}

BOOST_AUTO_TEST_CASE(workers_default_to_one_per_core_and_at_least_one) {
    const auto cores = static_cast<int>(std::thread::hardware_concurrency());
    BOOST_TEST(parse(kMinimal).workers == std::max(cores, 1));
    BOOST_TEST(parse(with(R"("workers": 3)")).workers == 3);
}

BOOST_AUTO_TEST_CASE(spec_example_is_read_with_environment_variables) {
    const Config config = parse(R"({
      "server": {"domain": "webpods.localhost", "publicUrl": "https://webpods.localhost:8443",
                 "maxPayloadSize": 10485760, "maxResponseSize": 2097152},
      "database": {"host": "/path/to/socket/dir", "port": 5432, "name": "webpods",
                   "user": "webpods", "password": "$WEBPODS_DB_PASSWORD"},
      "auth": {"jwtSecret": "$WEBPODS_JWT_SECRET", "sessionSecret": "$WEBPODS_SESSION_SECRET",
               "jwtExpiry": 604800},
      "oauth": {"defaultProvider": "github", "providers": [
        {"id": "github", "clientId": "...", "clientSecret": "$GITHUB_SECRET",
         "authUrl": "https://github.com/login/oauth/authorize",
         "tokenUrl": "https://github.com/login/oauth/access_token",
         "userinfoUrl": "https://api.github.com/user",
         "emailUrl": "https://api.github.com/user/emails",
         "scope": "read:user user:email", "userIdField": "id", "emailField": "email",
         "nameField": "name"},
        {"id": "google", "clientId": "...", "clientSecret": "$GOOGLE_SECRET",
         "issuer": "https://accounts.google.com", "scope": "openid email profile",
         "userIdField": "sub", "emailField": "email", "nameField": "name"}]},
      "rateLimits": {"enabled": true, "writes": 1000, "reads": 10000, "podCreate": 10,
                     "streamCreate": 100, "logins": 7},
      "workers": 2, "threadsPerWorker": 16
    })");
    BOOST_TEST(config.public_url == "https://webpods.localhost:8443");
    BOOST_TEST(config.max_response_size == 2097152);
    BOOST_TEST(config.rate_limits.logins == 7);
    BOOST_TEST(config.database.configured);
    BOOST_TEST(config.database.host == "/path/to/socket/dir");
    BOOST_TEST(config.database.password == "db-from-env");
    BOOST_TEST(config.jwt_secret == "jwt-from-env-0123456789abcdef0123456789");
    BOOST_TEST(config.session_secret == "session-from-env-0123456789abcdef012345");
    BOOST_TEST(config.default_provider == "github");
    BOOST_TEST(config.providers.size() == 2U);
    BOOST_TEST(config.providers[0].client_secret == "gh-from-env");
    BOOST_TEST(config.providers[0].email_url == "https://api.github.com/user/emails");
    BOOST_TEST(config.providers[1].user_id_field == "sub");
    BOOST_TEST(config.workers == 2);
    const OAuthProvider* google = config.find_provider("google");
    BOOST_REQUIRE(google != nullptr);
    BOOST_TEST(google->issuer == "https://accounts.google.com");
    BOOST_TEST(config.find_provider("gitlab") == nullptr);
}

BOOST_AUTO_TEST_CASE(missing_environment_variable_names_key_and_variable) {
    BOOST_TEST(error_of(R"({"server": {"domain": "webpods.localhost"},
                            "auth": {"jwtSecret": "$NOT_SET", "sessionSecret": "ssssssssssssssssssssssssssssssss"}})") ==
               "auth.jwtSecret: environment variable NOT_SET is not set");
}

BOOST_AUTO_TEST_CASE(dollar_that_is_not_a_whole_variable_name_stays_literal) {
    const Config config = parse(R"({"server": {"domain": "webpods.localhost"},
        "auth": {"jwtSecret": "a$WEBPODS_JWT_SECRET-and-enough-bytes",
                 "sessionSecret": "$ is a dollar, not a variable name"}})");
    BOOST_TEST(config.jwt_secret == "a$WEBPODS_JWT_SECRET-and-enough-bytes");
    BOOST_TEST(config.session_secret == "$ is a dollar, not a variable name");
}

BOOST_AUTO_TEST_CASE(unknown_key_is_rejected_with_its_path) {
    BOOST_TEST(error_of(with(R"("bogus": 1)")) == "bogus: unknown key");
    BOOST_TEST(error_of(R"({"server": {"domain": "webpods.localhost", "bogus": 1},
                            "auth": {"jwtSecret": "jjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjj", "sessionSecret": "ssssssssssssssssssssssssssssssss"}})") ==
               "server.bogus: unknown key");
    BOOST_TEST(error_of(with(R"("rateLimits": {"write": 5})")) == "rateLimits.write: unknown key");
}

BOOST_AUTO_TEST_CASE(misspelt_key_is_reported_as_unknown_not_as_missing) {
    BOOST_TEST(error_of(R"({"server": {"domian": "webpods.localhost"},
                            "auth": {"jwtSecret": "jjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjj", "sessionSecret": "ssssssssssssssssssssssssssssssss"}})") ==
               "server.domian: unknown key");
}

BOOST_AUTO_TEST_CASE(unknown_provider_key_is_rejected_with_its_index) {
    const std::string extra =
        R"({"id": "x", "clientId": "c", "issuer": "https://x", "tokenURL": ""})";
    BOOST_TEST(error_of(with_providers(std::string(kGithub) + ", " + extra)) ==
               "oauth.providers[1].tokenURL: unknown key");
}

BOOST_AUTO_TEST_CASE(wrong_type_is_rejected_with_its_path) {
    BOOST_TEST(error_of(with(R"("workers": "2")")) == "workers: expected an integer");
    BOOST_TEST(error_of(with(R"("workers": 2.0)")) == "workers: expected an integer");
    BOOST_TEST(error_of(with(R"("workers": true)")) == "workers: expected an integer");
    BOOST_TEST(error_of(with(R"("rateLimits": {"enabled": 1})")) ==
               "rateLimits.enabled: expected a boolean");
    BOOST_TEST(error_of(with(R"("database": [])")) == "database: expected an object");
    BOOST_TEST(error_of(with(R"("oauth": {"providers": {}})")) ==
               "oauth.providers: expected an array");
    BOOST_TEST(error_of(R"({"server": {"domain": 7},
                            "auth": {"jwtSecret": "jjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjj", "sessionSecret": "ssssssssssssssssssssssssssssssss"}})") ==
               "server.domain: expected a string");
}

BOOST_AUTO_TEST_CASE(numbers_must_be_positive_and_in_range) {
    BOOST_TEST(error_of(with(R"("workers": 0)")) == "workers: must be a positive integer");
    BOOST_TEST(error_of(with(R"("threadsPerWorker": -4)")) ==
               "threadsPerWorker: must be a positive integer");
    BOOST_TEST(error_of(with(R"("workers": 4294967296)")) == "workers: must be at most 2147483647");
    BOOST_TEST(error_of(with(R"("database": {"port": 65536})")) ==
               "database.port: must be at most 65535");
    BOOST_TEST(error_of(with(R"("rateLimits": {"logins": 0})")) ==
               "rateLimits.logins: must be a positive integer");
    BOOST_TEST(error_of(R"({"server": {"domain": "webpods.localhost", "maxResponseSize": -1},
                            "auth": {"jwtSecret": "jjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjj", "sessionSecret": "ssssssssssssssssssssssssssssssss"}})") ==
               "server.maxResponseSize: must be a positive integer");
}

BOOST_AUTO_TEST_CASE(secrets_shorter_than_32_bytes_are_refused) {
    BOOST_TEST(error_of(R"({"server": {"domain": "webpods.localhost"},
                            "auth": {"jwtSecret": "short", "sessionSecret": "ssssssssssssssssssssssssssssssss"}})") ==
               "auth.jwtSecret: must be at least 32 bytes (e.g. openssl rand -hex 32)");
    BOOST_TEST(error_of(R"({"server": {"domain": "webpods.localhost"},
                            "auth": {"jwtSecret": "jjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjj", "sessionSecret": "sssssssssssssssssssssssssssssss"}})") ==
               "auth.sessionSecret: must be at least 32 bytes (e.g. openssl rand -hex 32)");
}

BOOST_AUTO_TEST_CASE(missing_required_values_are_rejected) {
    BOOST_TEST(
        error_of(
            R"({"auth": {"jwtSecret": "jjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjj", "sessionSecret": "ssssssssssssssssssssssssssssssss"}})") ==
        "server.domain: required");
    BOOST_TEST(error_of(R"({"server": {"domain": "webpods.localhost"}})") ==
               "auth.jwtSecret: required");
    BOOST_TEST(error_of(R"({"server": {"domain": "webpods.localhost"},
                            "auth": {"jwtSecret": "jjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjj", "sessionSecret": ""}})") ==
               "auth.sessionSecret: required");
}

BOOST_AUTO_TEST_CASE(domain_and_public_url_are_checked) {
    const auto config_with_server = [](const std::string& server) {
        return R"({"server": )" + server +
               R"(, "auth": {"jwtSecret": "jjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjj", "sessionSecret": "ssssssssssssssssssssssssssssssss"}})";
    };
    BOOST_TEST(error_of(config_with_server(R"({"domain": "WebPods.localhost"})")) ==
               "server.domain: must be a lower-case DNS name");
    BOOST_TEST(error_of(config_with_server(R"({"domain": "a..b"})")) ==
               "server.domain: must be a lower-case DNS name");
    BOOST_TEST(error_of(config_with_server(R"({"domain": "a.b", "publicUrl": "ftp://a.b"})")) ==
               "server.publicUrl: must start with http:// or https://");
    BOOST_TEST(parse(config_with_server(R"({"domain": "a.b", "publicUrl": "http://a.b:8080/"})"))
                   .public_url == "http://a.b:8080");
}

BOOST_AUTO_TEST_CASE(provider_without_issuer_needs_auth_token_and_userinfo_urls) {
    const std::string no_token_url =
        R"({"id": "gh", "clientId": "c", "authUrl": "https://a", "userinfoUrl": "https://u"})";
    BOOST_TEST(error_of(with_providers(no_token_url)) ==
               "oauth.providers[0].tokenUrl: required without issuer (provider \"gh\")");
    const Config config = parse(with_providers(std::string(kGithub)));
    BOOST_TEST(config.providers[0].scope.empty());
    BOOST_TEST(config.providers[0].user_id_field == "id");
    BOOST_TEST(config.providers[0].email_field == "email");
    BOOST_TEST(config.providers[0].name_field == "name");
}

BOOST_AUTO_TEST_CASE(provider_with_issuer_defaults_to_openid_scope) {
    const Config config = parse(with_providers(
        R"({"id": "google", "clientId": "c", "issuer": "https://accounts.google.com"})"));
    BOOST_TEST(config.providers[0].scope == "openid email profile");
    BOOST_TEST(config.providers[0].auth_url.empty());
}

BOOST_AUTO_TEST_CASE(provider_id_must_be_valid_and_unique) {
    BOOST_TEST(
        error_of(with_providers(R"({"id": "GitHub", "clientId": "c", "issuer": "https://x"})")) ==
        "oauth.providers[0].id: must match ^[a-z0-9][a-z0-9_-]*$");
    BOOST_TEST(error_of(with_providers(R"({"clientId": "c", "issuer": "https://x"})")) ==
               "oauth.providers[0].id: required");
    BOOST_TEST(error_of(with_providers(R"({"id": "x", "issuer": "https://x"})")) ==
               "oauth.providers[0].clientId: required");
    BOOST_TEST(error_of(with_providers(std::string(kGithub) + ", " + std::string(kGithub))) ==
               "oauth.providers[1].id: duplicate provider \"github\"");
}

BOOST_AUTO_TEST_CASE(provider_ids_of_fixed_auth_routes_are_refused) {
    for (const std::string id : {"providers",
                                 "session",
                                 "sessions",
                                 "logout",
                                 "authorize",
                                 "success",
                                 "whoami",
                                 "callback"}) {
        BOOST_TEST(error_of(with_providers(std::string(kGithub) + R"(, {"id": ")" + id +
                                           R"(", "clientId": "c", "issuer": "https://x"})")) ==
                   "oauth.providers[1].id: \"" + id + "\" is reserved: /auth/" + id +
                       " is a fixed route");
    }
    // Only the whole id: a prefix or a longer name is an ordinary provider.
    for (const std::string id : {"session2", "login", "callbacks", "auth"}) {
        BOOST_TEST(error_of(with_providers(R"({"id": ")" + id +
                                           R"(", "clientId": "c", "issuer": "https://x"})")) == "");
    }
}

BOOST_AUTO_TEST_CASE(default_provider_must_name_a_provider) {
    const auto with_default = [](const std::string& name) {
        return with(R"("oauth": {"defaultProvider": ")" + name + R"(", "providers": [)" +
                    std::string(kGithub) + "]}");
    };
    BOOST_TEST(error_of(with_default("gitlab")) ==
               "oauth.defaultProvider: unknown provider \"gitlab\"");
    BOOST_TEST(parse(with_default("github")).default_provider == "github");
}

BOOST_AUTO_TEST_CASE(malformed_json_is_rejected) {
    BOOST_TEST(starts_with(error_of(R"({"server": )"), "config: invalid JSON: "));
    BOOST_TEST(error_of("[]") == "config: expected a JSON object");
}

BOOST_AUTO_TEST_CASE(load_config_file_reads_the_file_and_reports_an_unreadable_one) {
    const std::filesystem::path path =
        std::filesystem::temp_directory_path() /
        ("webpods_config_test_" + std::to_string(::getpid()) + ".json");
    std::ofstream(path) << kMinimal;
    std::string domain;
    BOOST_CHECK_NO_THROW(domain = load_config_file(path.string()).domain);
    std::filesystem::remove(path);
    BOOST_TEST(domain == "webpods.localhost");
    try {
        load_config_file(path.string());
        BOOST_FAIL("an absent file was read");
    } catch (const ConfigError& error) {
        BOOST_TEST(std::string(error.what()) ==
                   "config: cannot read " + path.string() + ": No such file or directory");
    }
}

BOOST_AUTO_TEST_CASE(live_settings_have_defaults_and_bounds) {
    const Config defaults = parse(kMinimal);
    BOOST_TEST(defaults.live.keepalive_seconds == 15);
    BOOST_TEST(defaults.live.poll_milliseconds == 20);
    BOOST_TEST(defaults.live.max_subscribers == 10000);
    const Config set = parse(
        with(R"("live": {"keepaliveSeconds": 1, "pollMilliseconds": 5, "maxSubscribers": 3})"));
    BOOST_TEST(set.live.keepalive_seconds == 1);
    BOOST_TEST(set.live.poll_milliseconds == 5);
    BOOST_TEST(set.live.max_subscribers == 3);
    // SPEC §11: a keepalive at least every 15 s.
    BOOST_TEST(error_of(with(R"("live": {"keepaliveSeconds": 16})")) ==
               "live.keepaliveSeconds: must be at most 15");
    BOOST_TEST(error_of(with(R"("live": {"pollMilliseconds": 0})")) ==
               "live.pollMilliseconds: must be a positive integer");
    BOOST_TEST(error_of(with(R"("live": {"keepalive": 5})")) == "live.keepalive: unknown key");
}

BOOST_AUTO_TEST_CASE(replicas_take_the_primary_credentials_unless_they_give_their_own) {
    const Config config = parse(with(R"("database": {
        "host": "primary.internal", "name": "pods", "user": "webpods",
        "password": "$WEBPODS_DB_PASSWORD", "connectTimeout": 3, "replicaTimeout": 2,
        "replicas": [{"host": "replica1.internal"},
                     {"host": "replica2.internal", "port": 5433, "user": "reader",
                      "password": "other"}]})"));
    BOOST_TEST(config.database.connect_timeout == 3);
    BOOST_TEST(config.database.replica_timeout == 2);
    BOOST_REQUIRE(config.database.replicas.size() == 2U);
    const Replica& first = config.database.replicas[0];
    BOOST_TEST(first.host == "replica1.internal");
    BOOST_TEST(first.port == 5432);
    BOOST_TEST(first.name == "pods");
    BOOST_TEST(first.user == "webpods");
    BOOST_TEST(first.password == "db-from-env");
    const Replica& second = config.database.replicas[1];
    BOOST_TEST(second.port == 5433);
    BOOST_TEST(second.name == "pods");
    BOOST_TEST(second.user == "reader");
    BOOST_TEST(second.password == "other");
}

BOOST_AUTO_TEST_CASE(database_timeouts_default_and_replicas_are_checked) {
    const Config defaults = parse(with(R"("database": {"host": "/run/postgresql"})"));
    BOOST_TEST(defaults.database.connect_timeout == 2);
    BOOST_TEST(defaults.database.replica_timeout == 1);
    BOOST_TEST(defaults.database.replicas.empty());
    BOOST_TEST(error_of(with(R"("database": {"replicaTimeout": 0})")) ==
               "database.replicaTimeout: must be a positive integer");
    BOOST_TEST(error_of(with(R"("database": {"connectTimeout": "2"})")) ==
               "database.connectTimeout: expected an integer");
    BOOST_TEST(error_of(with(R"("database": {"replicas": {}})")) ==
               "database.replicas: expected an array");
    BOOST_TEST(error_of(with(R"("database": {"replicas": [{"port": 5432}]})")) ==
               "database.replicas[0].host: required");
    BOOST_TEST(error_of(with(R"("database": {"replicas": [{"host": "r", "lag": 1}]})")) ==
               "database.replicas[0].lag: unknown key");
}

BOOST_AUTO_TEST_CASE(metrics_allow_defaults_to_loopback_and_takes_addresses_only) {
    const std::vector<std::string> loopback{"127.0.0.1", "::1"};
    BOOST_TEST(parse(kMinimal).metrics_allow == loopback);
    const std::vector<std::string> given{"10.0.0.5", "2001:db8::7"};
    BOOST_TEST(parse(with(R"("metrics": {"allow": ["10.0.0.5", "2001:db8::7"]})")).metrics_allow ==
               given);
    BOOST_TEST(parse(with(R"("metrics": {"allow": []})")).metrics_allow.empty());
    BOOST_TEST(error_of(with(R"("metrics": {"allow": ["10.0.0.0/8"]})")) ==
               "metrics.allow[0]: expected an IPv4 or IPv6 address");
    BOOST_TEST(error_of(with(R"("metrics": {"allow": [1]})")) ==
               "metrics.allow[0]: expected a string");
    BOOST_TEST(error_of(with(R"("metrics": {"deny": []})")) == "metrics.deny: unknown key");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace webpods::config
