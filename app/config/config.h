// Settings of webpods: the JSON config file (SPEC §7), read and checked once at start.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace webpods::config {

// One entry of `oauth.providers`. Either `issuer` is set (OpenID Connect discovery), or all of
// auth_url, token_url and userinfo_url are (both may be, too); absent URLs are empty. Every URL
// given starts with http:// or https://.
struct OAuthProvider {
    std::string id, client_id, client_secret;
    std::string issuer;  // OIDC discovery, or empty
    std::string auth_url, token_url, userinfo_url, email_url, callback_url;  // empty when absent
    std::string scope, user_id_field = "id", email_field = "email", name_field = "name";
};

// One entry of `database.replicas`: a hot standby streaming from the primary (SPEC §14). name,
// user and password are the primary's unless the entry gives its own.
struct Replica {
    std::string host;
    int port = 5432;
    std::string name, user, password;
};

// `database`; when the section is absent, configured is false and the private cluster is used.
// The timeouts are whole seconds: connect_timeout bounds opening any connection,
// replica_timeout how long a replica may keep a request waiting (SPEC §14).
struct Database {
    bool configured = false;
    std::string host;
    int port = 5432;
    std::string name = "webpods", user = "webpods", password;
    int connect_timeout = 2;
    int replica_timeout = 1;
    std::vector<Replica> replicas;
};

// `rateLimits`: requests per identity per clock hour (SPEC §5).
struct RateLimits {
    bool enabled = true;
    std::int64_t writes = 1000, reads = 10000, pod_create = 10, stream_create = 100;
    std::int64_t logins = 300;  // per address, over every login step (SPEC §10)
};

// `live`: live reads (SPEC §11). The keepalive is the longest silence on an event stream; heads
// of watched streams are read from PostgreSQL every poll interval while anyone is watching.
struct Live {
    int keepalive_seconds = 15;
    int poll_milliseconds = 20;
    int max_subscribers = 10000;  // per worker process
};

// The whole file, defaults filled in. Built once by parse_config, then only read.
// public_url has no trailing slash; jwt_secret and session_secret are non-empty; every number is
// positive; workers is at least 1 (one per core when the file does not say).
struct Config {
    std::string domain;
    std::string public_url;
    std::int64_t max_payload_size = 10485760;
    // The most bytes a list or range answer grows to before it stops early (SPEC §10).
    std::int64_t max_response_size = 16777216;
    Database database;
    std::string jwt_secret, session_secret;
    std::int64_t jwt_expiry = 604800;
    std::string default_provider;  // empty, or the id of one of providers
    std::vector<OAuthProvider> providers;
    RateLimits rate_limits;
    // `checkpoint` (SPEC §12): the PEM file of the Ed25519 key that signs checkpoints (empty:
    // none, checkpoints answer 503 SIGNING_UNAVAILABLE) and the signed-note name it signs under
    // (default: domain).
    std::string checkpoint_key_file;
    std::string checkpoint_key_name;
    Live live;
    // `metrics.allow` (SPEC §13): the client addresses GET /metrics answers, each an IPv4 or
    // IPv6 address as inet_pton(3) reads it.
    std::vector<std::string> metrics_allow{"127.0.0.1", "::1"};
    int workers = 0;
    int threads_per_worker = 16;

    // The provider with this id, pointing into providers; nullptr when unknown.
    const OAuthProvider* find_provider(std::string_view id) const;
};

// Provider ids that cannot be used because /auth/{id} would be one of the fixed routes of
// SPEC §3 (/auth/providers, /auth/session, ...; "callback" is the pod's /auth/callback).
// parse_config refuses them.
bool is_reserved_provider_id(std::string_view id);

// A config that cannot be used. The message starts with the dotted key path it is about
// ("oauth.providers[1].tokenUrl: required without issuer ..."), or with "config:" when it is
// about the whole file (unreadable, invalid JSON).
class ConfigError : public std::runtime_error {
public:
    using runtime_error::runtime_error;
};

// The value of an environment variable, nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// Parses and checks a config. A string value that is exactly "$NAME" is replaced by env(NAME).
// Throws ConfigError on malformed JSON, an unknown key, a value of the wrong type or out of
// range, a missing required value or an environment variable that is not set.
Config parse_config(const std::string& json_text, const EnvLookup& env);

// Reads the file at path and parses it with the process environment. Throws ConfigError, also
// when the file cannot be read. Not thread-safe (getenv): call it at start, before threads.
Config load_config_file(const std::string& path);

}  // namespace webpods::config
