// The OAuth 2.0 protocol: PKCE with OpenSSL, the authorization URL, code exchange and userinfo.
#include "auth/oauth.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <typeinfo>
#include <utility>
#include <vector>

#include "auth/http_client.h"
#include "auth/oidc_discovery.h"
#include "encoding/encoding.h"
#include "errors/errors.h"
#include "http/request.h"
#include "json/recognizer.h"

namespace webpods::auth {

namespace {

constexpr std::size_t kMaxUserIdSize = 255;

std::vector<unsigned char> random_bytes(std::size_t count) {
    std::vector<unsigned char> bytes(count);
    if (RAND_bytes(bytes.data(), static_cast<int>(count)) != 1) {
        throw errors::Error(errors::Code::kInternalError, {}, "RAND_bytes failed");
    }
    return bytes;
}

// Whether the member is JSON true.
bool is_true(const Poco::JSON::Object& object, const std::string& key) {
    const Poco::Dynamic::Var value = object.get(key);
    return value.type() == typeid(bool) && value.extract<bool>();
}

bool is_http_url(std::string_view url) {
    return url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0;
}

std::string form_encode(const Fields& fields) {
    std::string text;
    for (const auto& [name, value] : fields) {
        if (!text.empty()) {
            text += '&';
        }
        text += url_encode(name) + '=' + url_encode(value);
    }
    return text;
}

bool is_usable_user_id(const std::string& id) {
    return !id.empty() && id.size() <= kMaxUserIdSize &&
           std::none_of(id.begin(), id.end(), [](char c) {
               return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
           });
}

}  // namespace

std::string random_url_token(std::size_t bytes) {
    const std::vector<unsigned char> random = random_bytes(bytes);
    return encoding::base64url_encode(
        std::string_view(reinterpret_cast<const char*>(random.data()), random.size()));
}

std::string random_hex(std::size_t bytes) {
    static constexpr std::string_view kDigits = "0123456789abcdef";
    std::string text;
    text.reserve(bytes * 2);
    for (const unsigned char byte : random_bytes(bytes)) {
        text += kDigits[byte >> 4U];
        text += kDigits[byte & 0x0FU];
    }
    return text;
}

std::string pkce_challenge(std::string_view verifier) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    if (EVP_Digest(verifier.data(), verifier.size(), digest.data(), &size, EVP_sha256(), nullptr) !=
        1) {
        throw errors::Error(errors::Code::kInternalError, {}, "SHA-256 failed");
    }
    return encoding::base64url_encode(
        std::string_view(reinterpret_cast<const char*>(digest.data()), size));
}

std::string url_encode(std::string_view text) {
    static constexpr std::string_view kDigits = "0123456789ABCDEF";
    std::string encoded;
    encoded.reserve(text.size());
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                                c == '~';
        if (unreserved) {
            encoded += c;
        } else {
            encoded += '%';
            encoded += kDigits[byte >> 4U];
            encoded += kDigits[byte & 0x0FU];
        }
    }
    return encoded;
}

std::string authorization_url(const config::OAuthProvider& provider,
                              const OAuthEndpoints& endpoints,
                              const std::string& redirect_uri,
                              const std::string& state,
                              const std::string& code_challenge) {
    Fields fields{{"response_type", "code"},
                  {"client_id", provider.client_id},
                  {"redirect_uri", redirect_uri}};
    if (!provider.scope.empty()) {
        fields.emplace_back("scope", provider.scope);
    }
    fields.emplace_back("state", state);
    fields.emplace_back("code_challenge", code_challenge);
    fields.emplace_back("code_challenge_method", "S256");
    const std::string& base = endpoints.authorization;
    const char separator = base.find('?') == std::string::npos ? '?' : '&';
    return base + separator + form_encode(fields);
}

OAuthEndpoints resolve_endpoints(const config::OAuthProvider& provider) {
    OAuthEndpoints endpoints;
    if (!provider.issuer.empty() && (provider.auth_url.empty() || provider.token_url.empty() ||
                                     provider.userinfo_url.empty())) {
        DiscoveredEndpoints discovered = discover_endpoints(provider.issuer);
        endpoints.authorization = std::move(discovered.authorization);
        endpoints.token = std::move(discovered.token);
        endpoints.userinfo = std::move(discovered.userinfo);
    }
    if (!provider.auth_url.empty()) {
        endpoints.authorization = provider.auth_url;
    }
    if (!provider.token_url.empty()) {
        endpoints.token = provider.token_url;
    }
    if (!provider.userinfo_url.empty()) {
        endpoints.userinfo = provider.userinfo_url;
    }
    endpoints.email = provider.email_url;
    if (!is_http_url(endpoints.authorization) || !is_http_url(endpoints.token) ||
        !is_http_url(endpoints.userinfo)) {
        throw_provider_error("provider " + provider.id + ": discovery gave no usable endpoints");
    }
    return endpoints;
}

std::string exchange_code(const config::OAuthProvider& provider,
                          const OAuthEndpoints& endpoints,
                          const std::string& code,
                          const std::string& code_verifier,
                          const std::string& redirect_uri) {
    Fields fields{{"grant_type", "authorization_code"},
                  {"code", code},
                  {"redirect_uri", redirect_uri},
                  {"client_id", provider.client_id}};
    if (!provider.client_secret.empty()) {
        fields.emplace_back("client_secret", provider.client_secret);
    }
    fields.emplace_back("code_verifier", code_verifier);
    const ProviderAnswer answer = provider_post_form(endpoints.token, form_encode(fields));
    const std::string& endpoint = answer.endpoint;

    // JSON as asked for; some providers answer form-encoded regardless.
    std::string access_token;
    std::string error;
    if (const Poco::JSON::Object::Ptr object = parse_object(answer.body)) {
        access_token = string_member(*object, "access_token");
        error = string_member(*object, "error");
    } else {
        try {
            const http::QueryParams form = http::parse_query(answer.body);
            const auto token = form.find("access_token");
            if (token != form.end()) {
                access_token = token->second;
            }
            const auto refused = form.find("error");
            if (refused != form.end()) {
                error = refused->second;
            }
        } catch (const errors::Error&) {
            throw_provider_error(endpoint + ": unreadable answer");
        }
    }
    // GitHub refuses a code with 200 and an "error" member; others with 400.
    if (!error.empty() || (answer.status >= 400 && answer.status < 500)) {
        throw errors::Error(
            errors::Code::kOAuthRefused,
            "The login provider refused the authorization code",
            endpoint + ": answered " + std::to_string(answer.status) + " " + error.substr(0, 64));
    }
    if (answer.status != 200) {
        throw_provider_error(endpoint + ": answered " + std::to_string(answer.status));
    }
    if (access_token.empty()) {
        throw_provider_error(endpoint + ": no access_token in the answer");
    }
    return access_token;
}

OAuthIdentity fetch_identity(const config::OAuthProvider& provider,
                             const OAuthEndpoints& endpoints,
                             const std::string& access_token) {
    const Fields bearer{{"Authorization", "Bearer " + access_token}};
    const ProviderAnswer answer = provider_get(endpoints.userinfo, bearer);
    if (answer.status != 200) {
        throw_provider_error(answer.endpoint + ": answered " + std::to_string(answer.status));
    }
    OAuthIdentity identity = parse_userinfo(provider, answer.body);
    if (identity.email.empty() && !endpoints.email.empty()) {
        // The address is a courtesy: a login does not fail for want of it.
        try {
            const ProviderAnswer emails = provider_get(endpoints.email, bearer);
            if (emails.status == 200) {
                identity.email = pick_email(emails.body);
            }
        } catch (const errors::Error&) {
            identity.email.clear();
        }
    }
    return identity;
}

OAuthIdentity parse_userinfo(const config::OAuthProvider& provider, std::string_view json) {
    const Poco::JSON::Object::Ptr object = parse_object(json);
    if (!object) {
        throw_provider_error("userinfo of " + provider.id + ": not a JSON object");
    }
    OAuthIdentity identity;
    for (const std::string& key : {provider.user_id_field, std::string("sub")}) {
        const Poco::Dynamic::Var value = object->get(key);
        if (value.isEmpty()) {
            continue;
        }
        if (value.isString()) {
            identity.user_id = value.extract<std::string>();
        } else if (value.isInteger() && !value.isBoolean()) {
            identity.user_id = value.convert<std::string>();
        }
        if (!identity.user_id.empty()) {
            break;
        }
    }
    if (!is_usable_user_id(identity.user_id)) {
        throw_provider_error("userinfo of " + provider.id + ": no usable user id in field " +
                             provider.user_id_field);
    }
    identity.email = string_member(*object, provider.email_field);
    for (const std::string& key :
         {provider.name_field, std::string("login"), std::string("preferred_username")}) {
        identity.name = string_member(*object, key);
        if (!identity.name.empty()) {
            break;
        }
    }
    return identity;
}

std::string pick_email(std::string_view json) {
    if (!json::is_valid(json)) {
        return {};
    }
    Poco::JSON::Array::Ptr list;
    try {
        Poco::JSON::Parser parser;
        const Poco::Dynamic::Var parsed = parser.parse(std::string(json));
        if (parsed.type() != typeid(Poco::JSON::Array::Ptr)) {
            return {};
        }
        list = parsed.extract<Poco::JSON::Array::Ptr>();
    } catch (const Poco::Exception&) {
        return {};
    }
    std::string verified;
    std::string first_plain;
    for (const Poco::Dynamic::Var& entry : *list) {
        if (entry.isString()) {
            if (first_plain.empty()) {
                first_plain = entry.extract<std::string>();
            }
            continue;
        }
        if (entry.type() != typeid(Poco::JSON::Object::Ptr)) {
            continue;
        }
        const auto& object = *entry.extract<Poco::JSON::Object::Ptr>();
        std::string email = string_member(object, "email");
        if (email.empty()) {
            continue;
        }
        // Providers that do not say whether an address is verified vouch for all they list.
        const bool is_verified = !object.has("verified") || is_true(object, "verified");
        const bool is_primary = is_true(object, "primary");
        if (is_verified && is_primary) {
            return email;
        }
        if (is_verified && verified.empty()) {
            verified = email;
        }
    }
    return verified.empty() ? first_plain : verified;
}

}  // namespace webpods::auth
