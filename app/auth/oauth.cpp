// OAuth 2.0 client: PKCE with OpenSSL, provider calls with Poco::Net (TLS verified, bounded time).
#include "auth/oauth.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/URI.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <typeinfo>
#include <utility>
#include <vector>

#include "errors/errors.h"
#include "http/json.h"
#include "http/request.h"

namespace webpods::auth {

namespace {

using Clock = std::chrono::steady_clock;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr std::size_t kMaxAnswerSize =
    std::size_t{1024} * 1024;  // a userinfo or token answer is a few KiB
constexpr std::size_t kMaxUserIdSize = 255;
constexpr std::chrono::hours kDiscoveryLifetime{1};
constexpr std::string_view kDiscoveryPath = "/.well-known/openid-configuration";

// The provider failed us: unreachable, too slow, an error status or an answer we cannot use.
// The detail names the endpoint (without query) and what went wrong, never a code, token or
// secret.
[[noreturn]] void fail(std::string detail) {
    throw errors::Error(errors::Code::kOAuthUnavailable, {}, std::move(detail));
}

std::string base64url(const unsigned char* bytes, std::size_t size) {
    std::string encoded(4 * ((size + 2) / 3), '\0');
    const int length = EVP_EncodeBlock(
        reinterpret_cast<unsigned char*>(encoded.data()), bytes, static_cast<int>(size));
    encoded.resize(static_cast<std::size_t>(length));
    while (!encoded.empty() && encoded.back() == '=') {
        encoded.pop_back();
    }
    for (char& c : encoded) {
        if (c == '+') {
            c = '-';
        }
        if (c == '/') {
            c = '_';
        }
    }
    return encoded;
}

std::vector<unsigned char> random_bytes(std::size_t count) {
    std::vector<unsigned char> bytes(count);
    if (RAND_bytes(bytes.data(), static_cast<int>(count)) != 1) {
        throw errors::Error(errors::Code::kInternalError, {}, "RAND_bytes failed");
    }
    return bytes;
}

// Where a call went, for the log: scheme, host, port and path, never the query.
std::string endpoint_of(const Poco::URI& uri) {
    return uri.getScheme() + "://" + uri.getAuthority() + uri.getPath();
}

// One TLS client context for the process: peer certificates verified against the system CAs,
// host names checked (Poco's extended verification), TLS 1.2 or newer. Poco reports a failed
// verification to SSLManager's handler, whose default would prompt on the console; the
// RejectCertificateHandler makes it a plain failure.
Poco::Net::Context::Ptr client_context() {
    static std::once_flag once;
    static Poco::Net::Context::Ptr context;
    std::call_once(once, [] {
        Poco::Net::initializeSSL();
        Poco::Net::Context::Params params;
        params.verificationMode = Poco::Net::Context::VERIFY_RELAXED;
        params.loadDefaultCAs = true;
        params.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4";
        context = Poco::makeAuto<Poco::Net::Context>(Poco::Net::Context::TLS_CLIENT_USE, params);
        context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
        Poco::Net::SSLManager::InvalidCertificateHandlerPtr reject =
            Poco::makeShared<Poco::Net::RejectCertificateHandler>(false);
        Poco::Net::SSLManager::instance().initializeClient(nullptr, reject, context);
    });
    return context;
}

struct Answer {
    int status = 0;
    std::string body;
};

// One request to a provider; redirects are not followed. Any failure to get a complete answer
// in time becomes OAUTH_ERROR.
Answer call_provider(const std::string& method,
                     const std::string& url,
                     const Headers& headers,
                     const std::string& form_body) {
    const Clock::time_point started = Clock::now();
    Poco::URI uri;
    try {
        uri = Poco::URI(url);
    } catch (const Poco::Exception& error) {
        fail("unusable provider URL: " + error.displayText());
    }
    const std::string endpoint = endpoint_of(uri);
    try {
        std::unique_ptr<Poco::Net::HTTPClientSession> session;
        if (uri.getScheme() == "https") {
            session = std::make_unique<Poco::Net::HTTPSClientSession>(
                uri.getHost(), uri.getPort(), client_context());
        } else if (uri.getScheme() == "http") {
            session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
        } else {
            fail(endpoint + ": not an http(s) URL");
        }
        const Poco::Timespan timeout(static_cast<long>(kProviderTimeout.count()), 0);
        session->setTimeout(timeout, timeout, timeout);

        std::string target = uri.getPathAndQuery();
        if (target.empty()) {
            target = "/";
        }
        Poco::Net::HTTPRequest request(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
        // GitHub refuses API calls without a User-Agent.
        request.set("User-Agent", "webpods/" WEBPODS_VERSION);
        request.set("Accept", "application/json");
        for (const auto& [name, value] : headers) {
            request.set(name, value);
        }
        if (method == Poco::Net::HTTPRequest::HTTP_POST) {
            request.setContentType("application/x-www-form-urlencoded");
            request.setContentLength(static_cast<std::streamsize>(form_body.size()));
        }
        std::ostream& out = session->sendRequest(request);
        out << form_body;
        out.flush();
        if (!out) {
            fail(endpoint + ": sending the request failed");
        }

        Poco::Net::HTTPResponse response;
        std::istream& in = session->receiveResponse(response);
        Answer answer;
        answer.status = static_cast<int>(response.getStatus());
        std::array<char, 8192> buffer{};
        while (in.read(buffer.data(), buffer.size()) || in.gcount() > 0) {
            answer.body.append(buffer.data(), static_cast<std::size_t>(in.gcount()));
            if (answer.body.size() > kMaxAnswerSize) {
                fail(endpoint + ": answer too large");
            }
            if (Clock::now() - started > 2 * kProviderTimeout) {
                fail(endpoint + ": too slow");
            }
        }
        if (in.bad()) {
            fail(endpoint + ": reading the answer failed");
        }
        return answer;
    } catch (const errors::Error&) {
        throw;
    } catch (const Poco::Exception& error) {
        fail(endpoint + ": " + error.displayText());
    } catch (const std::exception& error) {
        fail(endpoint + ": " + error.what());
    }
}

// The JSON object in text, or null when text is not one (nesting is bounded before Poco parses).
Poco::JSON::Object::Ptr parse_object(std::string_view text) {
    if (!http::is_valid_json(text)) {
        return nullptr;
    }
    try {
        Poco::JSON::Parser parser;
        const Poco::Dynamic::Var parsed = parser.parse(std::string(text));
        if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) {
            return nullptr;
        }
        return parsed.extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception&) {
        return nullptr;
    }
}

// A string member, empty when absent, null or not a string.
std::string string_member(const Poco::JSON::Object& object, const std::string& key) {
    const Poco::Dynamic::Var value = object.get(key);
    if (value.isEmpty() || !value.isString()) {
        return {};
    }
    return value.extract<std::string>();
}

// Whether the member is JSON true.
bool is_true(const Poco::JSON::Object& object, const std::string& key) {
    const Poco::Dynamic::Var value = object.get(key);
    return value.type() == typeid(bool) && value.extract<bool>();
}

bool is_http_url(std::string_view url) {
    return url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0;
}

std::string without_trailing_slash(std::string url) {
    while (!url.empty() && url.back() == '/') {
        url.pop_back();
    }
    return url;
}

OAuthEndpoints discover(const config::OAuthProvider& provider) {
    const std::string issuer = without_trailing_slash(provider.issuer);
    const std::string url = issuer + std::string(kDiscoveryPath);
    const Answer answer = call_provider(Poco::Net::HTTPRequest::HTTP_GET, url, {}, {});
    if (answer.status != 200) {
        fail(endpoint_of(Poco::URI(url)) + ": answered " + std::to_string(answer.status));
    }
    const Poco::JSON::Object::Ptr document = parse_object(answer.body);
    if (!document) {
        fail(url + ": not a JSON object");
    }
    // OpenID Connect Discovery §4.3: the document must name the issuer it was fetched for.
    if (without_trailing_slash(string_member(*document, "issuer")) != issuer) {
        fail(url + ": the document names another issuer");
    }
    OAuthEndpoints endpoints;
    endpoints.authorization = string_member(*document, "authorization_endpoint");
    endpoints.token = string_member(*document, "token_endpoint");
    endpoints.userinfo = string_member(*document, "userinfo_endpoint");
    return endpoints;
}

// Discovered endpoints per issuer, shared by the threads of a worker process.
class DiscoveryCache {
public:
    template <typename Discover>
    OAuthEndpoints get(const std::string& issuer, Discover discover_endpoints) {
        {
            const std::lock_guard<std::mutex> lock(mutex_);
            const auto found = entries_.find(issuer);
            if (found != entries_.end() &&
                Clock::now() - found->second.fetched < kDiscoveryLifetime) {
                return found->second.endpoints;
            }
        }
        // Fetched without the lock: a slow provider must not stall logins with other providers.
        OAuthEndpoints endpoints = discover_endpoints();
        const std::lock_guard<std::mutex> lock(mutex_);
        entries_[issuer] = Entry{endpoints, Clock::now()};
        return endpoints;
    }

private:
    struct Entry {
        OAuthEndpoints endpoints;
        Clock::time_point fetched;
    };
    std::mutex mutex_;
    std::map<std::string, Entry> entries_;
};

std::string form_encode(const Headers& fields) {
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
    return base64url(random.data(), random.size());
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
    return base64url(digest.data(), size);
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
    Headers fields{{"response_type", "code"},
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
        static DiscoveryCache cache;
        endpoints = cache.get(provider.issuer, [&provider] { return discover(provider); });
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
        fail("provider " + provider.id + ": discovery gave no usable endpoints");
    }
    return endpoints;
}

std::string exchange_code(const config::OAuthProvider& provider,
                          const OAuthEndpoints& endpoints,
                          const std::string& code,
                          const std::string& code_verifier,
                          const std::string& redirect_uri) {
    Headers fields{{"grant_type", "authorization_code"},
                   {"code", code},
                   {"redirect_uri", redirect_uri},
                   {"client_id", provider.client_id}};
    if (!provider.client_secret.empty()) {
        fields.emplace_back("client_secret", provider.client_secret);
    }
    fields.emplace_back("code_verifier", code_verifier);
    const Answer answer =
        call_provider(Poco::Net::HTTPRequest::HTTP_POST, endpoints.token, {}, form_encode(fields));
    const std::string endpoint = endpoint_of(Poco::URI(endpoints.token));

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
            fail(endpoint + ": unreadable answer");
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
        fail(endpoint + ": answered " + std::to_string(answer.status));
    }
    if (access_token.empty()) {
        fail(endpoint + ": no access_token in the answer");
    }
    return access_token;
}

OAuthIdentity fetch_identity(const config::OAuthProvider& provider,
                             const OAuthEndpoints& endpoints,
                             const std::string& access_token) {
    const Headers bearer{{"Authorization", "Bearer " + access_token}};
    const Answer answer =
        call_provider(Poco::Net::HTTPRequest::HTTP_GET, endpoints.userinfo, bearer, {});
    if (answer.status != 200) {
        fail(endpoint_of(Poco::URI(endpoints.userinfo)) + ": answered " +
             std::to_string(answer.status));
    }
    OAuthIdentity identity = parse_userinfo(provider, answer.body);
    if (identity.email.empty() && !endpoints.email.empty()) {
        // The address is a courtesy: a login does not fail for want of it.
        try {
            const Answer emails =
                call_provider(Poco::Net::HTTPRequest::HTTP_GET, endpoints.email, bearer, {});
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
        fail("userinfo of " + provider.id + ": not a JSON object");
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
        fail("userinfo of " + provider.id + ": no usable user id in field " +
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
    if (!http::is_valid_json(json)) {
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
