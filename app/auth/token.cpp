// HS256 JWT signing and verification: compact claim JSON, HMAC-SHA256 via OpenSSL.
#include "auth/token.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <climits>
#include <cstddef>
#include <exception>
#include <string>
#include <typeinfo>
#include <utility>

#include "encoding/encoding.h"
#include "errors/errors.h"
#include "json/writer.h"

namespace webpods::auth {
namespace {

using Digest = std::array<unsigned char, 32>;  // HMAC-SHA256 output

constexpr std::size_t kMaxTokenSize = 8192;  // far above any real token; bounds parsing work
constexpr std::string_view kHeader = R"({"alg":"HS256","typ":"JWT"})";

[[noreturn]] void fail_invalid(std::string detail) {
    throw errors::Error(errors::Code::kInvalidToken, {}, std::move(detail));
}

[[noreturn]] void fail_internal(std::string detail) {
    throw errors::Error(errors::Code::kInternalError, {}, std::move(detail));
}

// Strict (encoding::base64url_decode), so a token cannot be altered without invalidating it.
std::string decode_base64url(std::string_view text, const char* part) {
    std::optional<std::string> bytes = encoding::base64url_decode(text);
    if (!bytes) {
        fail_invalid(std::string(part) + ": not strict unpadded base64url");
    }
    return std::move(*bytes);
}

Digest sign(std::string_view signing_input, const std::string& secret) {
    if (secret.size() > static_cast<std::size_t>(INT_MAX)) {
        fail_internal("JWT secret too long");
    }
    Digest digest{};
    unsigned int length = 0;
    const unsigned char* result = HMAC(EVP_sha256(),
                                       secret.data(),
                                       static_cast<int>(secret.size()),
                                       reinterpret_cast<const unsigned char*>(signing_input.data()),
                                       signing_input.size(),
                                       digest.data(),
                                       &length);
    if (result == nullptr || length != digest.size()) {
        fail_internal("HMAC-SHA256 failed");
    }
    return digest;
}

Poco::JSON::Object::Ptr parse_object(const std::string& json, const char* part) {
    Poco::JSON::Parser parser;
    const Poco::Dynamic::Var result = parser.parse(json);
    if (result.type() != typeid(Poco::JSON::Object::Ptr)) {
        fail_invalid(std::string(part) + " is not a JSON object");
    }
    return result.extract<Poco::JSON::Object::Ptr>();
}

// JSON booleans count as integers to Poco, and integers above INT64_MAX arrive as UInt64.
std::int64_t integer_claim(const Poco::JSON::Object& payload, const std::string& key) {
    const Poco::Dynamic::Var value = payload.get(key);
    if (value.isEmpty() || !value.isInteger() || value.isBoolean() || !value.isSigned()) {
        fail_invalid("claim " + key + " missing or not an integer");
    }
    return value.convert<Poco::Int64>();
}

// Absent (and, for optional claims, only absent) gives nullopt; any non-string is invalid.
std::optional<std::string> string_claim(const Poco::JSON::Object& payload, const std::string& key) {
    if (!payload.has(key)) {
        return std::nullopt;
    }
    const Poco::Dynamic::Var value = payload.get(key);
    if (!value.isString()) {
        fail_invalid("claim " + key + " is not a string");
    }
    return value.extract<std::string>();
}

std::string required_string_claim(const Poco::JSON::Object& payload, const std::string& key) {
    std::optional<std::string> value = string_claim(payload, key);
    if (!value || value->empty()) {
        fail_invalid("claim " + key + " missing or empty");
    }
    return std::move(*value);
}

Claims verify_checked(std::string_view token, const std::string& secret, std::int64_t now_unix) {
    if (token.size() > kMaxTokenSize) {
        fail_invalid("token longer than 8 KiB");
    }
    const std::size_t first_dot = token.find('.');
    const std::size_t second_dot =
        first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
    if (second_dot == std::string_view::npos ||
        token.find('.', second_dot + 1) != std::string_view::npos) {
        fail_invalid("token does not have exactly three parts");
    }
    const std::string_view header_text = token.substr(0, first_dot);
    const std::string_view payload_text = token.substr(first_dot + 1, second_dot - first_dot - 1);
    const std::string_view signature_text = token.substr(second_dot + 1);

    const Poco::JSON::Object::Ptr header =
        parse_object(decode_base64url(header_text, "header"), "header");
    const Poco::Dynamic::Var alg = header->get("alg");
    if (!alg.isString() || alg.extract<std::string>() != "HS256") {
        fail_invalid("header alg is not HS256");
    }
    if (header->has("crit")) {
        fail_invalid("header has crit extensions");
    }

    const std::string signature = decode_base64url(signature_text, "signature");
    const Digest expected = sign(token.substr(0, second_dot), secret);
    // Constant time, so response timing does not reveal how much of a forged MAC was right.
    if (signature.size() != expected.size() ||
        CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) != 0) {
        fail_invalid("bad signature");
    }

    const Poco::JSON::Object::Ptr payload =
        parse_object(decode_base64url(payload_text, "payload"), "payload");
    Claims claims;
    claims.issued_at = integer_claim(*payload, "iat");
    claims.expires_at = integer_claim(*payload, "exp");
    if (claims.expires_at <= now_unix) {
        throw errors::Error(
            errors::Code::kTokenExpired,
            {},
            "exp " + std::to_string(claims.expires_at) + " <= now " + std::to_string(now_unix));
    }
    claims.user_id = required_string_claim(*payload, "user_id");
    claims.auth_id = required_string_claim(*payload, "auth_id");
    claims.email = string_claim(*payload, "email").value_or("");
    claims.name = string_claim(*payload, "name").value_or("");
    claims.provider = string_claim(*payload, "provider").value_or("");
    claims.pod = string_claim(*payload, "pod");
    return claims;
}

}  // namespace

std::string sign_token(const Claims& claims, const std::string& secret) {
    // The key order of the header comment; json::Writer escapes strings exactly as it says.
    json::Writer payload;
    payload.begin_object()
        .key("user_id")
        .string(claims.user_id)
        .key("auth_id")
        .string(claims.auth_id)
        .key("email")
        .string(claims.email)
        .key("name")
        .string(claims.name)
        .key("provider")
        .string(claims.provider);
    if (claims.pod) {
        payload.key("pod").string(*claims.pod);
    }
    payload.key("iat").integer(claims.issued_at).key("exp").integer(claims.expires_at).end_object();

    std::string token =
        encoding::base64url_encode(kHeader) + "." + encoding::base64url_encode(payload.text());
    const Digest digest = sign(token, secret);
    token += "." + encoding::base64url_encode(std::string_view(
                       reinterpret_cast<const char*>(digest.data()), digest.size()));
    return token;
}

Claims verify_token(std::string_view token, const std::string& secret, std::int64_t now_unix) {
    try {
        return verify_checked(token, secret, now_unix);
    } catch (const errors::Error&) {
        throw;
    } catch (const Poco::Exception& e) {
        fail_invalid("parse: " + e.displayText());
    } catch (const std::exception& e) {
        fail_internal(std::string("verifying token: ") + e.what());
    }
}

}  // namespace webpods::auth
