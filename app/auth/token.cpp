// HS256 JWT signing and verification: base64url, compact claim JSON, HMAC-SHA256 via OpenSSL.
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

#include "errors/errors.h"

namespace webpods::auth {
namespace {

using Digest = std::array<unsigned char, 32>;  // HMAC-SHA256 output

constexpr std::size_t kMaxTokenSize = 8192;  // far above any real token; bounds parsing work
constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view kHeader = R"({"alg":"HS256","typ":"JWT"})";

[[noreturn]] void fail_invalid(std::string detail) {
    throw errors::Error(errors::Code::kInvalidToken, {}, std::move(detail));
}

[[noreturn]] void fail_internal(std::string detail) {
    throw errors::Error(errors::Code::kInternalError, {}, std::move(detail));
}

std::string encode_base64url(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() * 4 + 2) / 3);
    std::uint32_t bits = 0;
    int bit_count = 0;
    for (char c : bytes) {
        bits = (bits << 8) | static_cast<unsigned char>(c);
        bit_count += 8;
        while (bit_count >= 6) {
            bit_count -= 6;
            out += kAlphabet[(bits >> bit_count) & 0x3FU];
        }
    }
    if (bit_count > 0) {
        out += kAlphabet[(bits << (6 - bit_count)) & 0x3FU];
    }
    return out;
}

// Strict: only the 64 URL-safe characters, no padding, and the unused low bits of the last
// character must be zero, so every byte string has exactly one accepted spelling and a token
// cannot be altered without invalidating it.
std::string decode_base64url(std::string_view text, const char* part) {
    if (text.size() % 4 == 1) {
        fail_invalid(std::string(part) + ": impossible base64url length");
    }
    std::string out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t bits = 0;
    int bit_count = 0;
    for (char c : text) {
        const std::size_t value = kAlphabet.find(c);
        if (value == std::string_view::npos) {
            fail_invalid(std::string(part) + ": invalid base64url character");
        }
        bits = ((bits << 6) | static_cast<std::uint32_t>(value)) & 0xFFFU;
        bit_count += 6;
        if (bit_count >= 8) {
            bit_count -= 8;
            out += static_cast<char>((bits >> bit_count) & 0xFFU);
        }
    }
    if ((bits & ((1U << bit_count) - 1U)) != 0) {
        fail_invalid(std::string(part) + ": non-zero base64url padding bits");
    }
    return out;
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

// JSON string escaping as in the header comment; the known-answer test pins these bytes.
void append_json_string(std::string& out, std::string_view value) {
    constexpr std::string_view kEscaped = "\"\\\b\f\n\r\t";
    constexpr std::string_view kEscapeLetters = "\"\\bfnrt";
    constexpr std::string_view kHex = "0123456789abcdef";
    out += '"';
    for (char c : value) {
        const auto byte = static_cast<unsigned char>(c);
        if (const std::size_t i = kEscaped.find(c); i != std::string_view::npos) {
            out += '\\';
            out += kEscapeLetters[i];
        } else if (byte < 0x20) {
            out += "\\u00";
            out += kHex[byte >> 4];
            out += kHex[byte & 0x0FU];
        } else {
            out += c;
        }
    }
    out += '"';
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
    std::string payload = "{\"user_id\":";
    append_json_string(payload, claims.user_id);
    const auto add_string = [&payload](std::string_view key, std::string_view value) {
        payload += ",\"";
        payload += key;
        payload += "\":";
        append_json_string(payload, value);
    };
    add_string("auth_id", claims.auth_id);
    add_string("email", claims.email);
    add_string("name", claims.name);
    add_string("provider", claims.provider);
    if (claims.pod) {
        add_string("pod", *claims.pod);
    }
    payload += ",\"iat\":" + std::to_string(claims.issued_at);
    payload += ",\"exp\":" + std::to_string(claims.expires_at) + "}";

    std::string token = encode_base64url(kHeader) + "." + encode_base64url(payload);
    const Digest digest = sign(token, secret);
    token += "." + encode_base64url(std::string_view(reinterpret_cast<const char*>(digest.data()),
                                                     digest.size()));
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
