// Record rendering: the SPEC §2 record object through json::Writer, and the raw-bytes answer.
#include "handlers/record_view.h"

#include <algorithm>
#include <utility>

#include "encoding/encoding.h"
#include "encoding/utf8.h"
#include "errors/errors.h"
#include "json/writer.h"

namespace webpods::handlers {

namespace {

constexpr std::size_t kMaxContentType = 255;

}  // namespace

// X-Content-Type, else Content-Type without parameters, else text/plain; form encoding is what
// `curl -d` sends for plain text, so it counts as text/plain.
std::string record_content_type(const http::Request& request) {
    std::string_view header = request.header("x-content-type");
    if (header.empty()) {
        header = request.header("content-type");
        header = header.substr(0, header.find(';'));
    }
    std::string type(encoding::trim_blanks(header));
    if (type.empty() || type == "application/x-www-form-urlencoded") {
        return "text/plain";
    }
    const bool printable =
        std::all_of(type.begin(), type.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
    if (!printable || type.size() > kMaxContentType) {
        throw errors::Error(errors::Code::kInvalidInput, "Invalid content type");
    }
    return type;
}

std::string media_type_of(std::string_view content_type) {
    return encoding::ascii_lower(
        encoding::trim_blanks(content_type.substr(0, content_type.find(';'))));
}

bool is_json_type(std::string_view content_type) {
    return media_type_of(content_type) == "application/json";
}

bool is_active_type(std::string_view content_type) {
    const std::string media = media_type_of(content_type);
    static constexpr std::string_view kXmlSuffix = "+xml";
    return media == "text/html" || media == "application/xhtml+xml" || media == "image/svg+xml" ||
           media == "text/xml" || media == "application/xml" ||
           (media.size() > kXmlSuffix.size() &&
            media.compare(media.size() - kXmlSuffix.size(), kXmlSuffix.size(), kXmlSuffix) == 0);
}

std::string record_json(const store::Record& record) {
    json::Writer writer;
    write_record_json(writer, record);
    return std::move(writer).take();
}

void write_record_json(json::Writer& writer, const store::Record& record) {
    writer.begin_object().key("index").integer(record.index).key("content");
    bool base64 = false;
    if (is_json_type(record.content_type)) {
        writer.raw_json(record.content);  // validated as JSON when written
    } else if (encoding::is_valid_utf8(record.content)) {
        writer.string(record.content);
    } else {
        writer.string(encoding::base64_encode(record.content));
        base64 = true;
    }
    writer.key("content_type").string(record.content_type).key("alias");
    if (record.alias) {
        writer.string(*record.alias);
    } else {
        writer.null();
    }
    writer.key("hash").string(record.hash).key("previous_hash");
    if (record.previous_hash.empty()) {
        writer.null();
    } else {
        writer.string(record.previous_hash);
    }
    writer.key("author").string(record.author).key("timestamp").string(record.timestamp);
    if (base64) {
        writer.key("content_encoding").string("base64");
    }
    writer.end_object();
}

http::Response raw_record_response(const http::Request& request,
                                   store::Record record,
                                   Caching caching,
                                   std::string_view owner_auth_id) {
    http::Response response;
    const std::string etag = "\"" + record.hash + "\"";
    response.set_header("ETag", etag);
    response.set_header("Cache-Control",
                        caching == Caching::kImmutable ? "private, max-age=31536000, immutable"
                                                       : "private, no-cache");
    const std::string_view if_none_match = request.header("if-none-match");
    if (!if_none_match.empty() && (if_none_match == etag || if_none_match == record.hash ||
                                   if_none_match.find(etag) != std::string_view::npos)) {
        response.status = 304;
        return response;
    }
    response.status = 200;
    response.set_header("Content-Type", record.content_type);
    response.set_header("X-Hash", record.hash);
    response.set_header("X-Previous-Hash", record.previous_hash);
    response.set_header("X-Author", record.author);
    response.set_header("X-Timestamp", record.timestamp);
    response.set_header("X-Index", std::to_string(record.index));
    response.set_header("X-Content-Type-Options", "nosniff");
    // SPEC §9: a page or image that can run script, written by anyone but the pod's owner,
    // renders without the pod's origin, so its scripts reach no cookie and no storage of ours.
    if (record.author != owner_auth_id && is_active_type(record.content_type)) {
        response.set_header("Content-Security-Policy", "sandbox");
    }
    response.body = std::move(record.content);
    return response;
}

}  // namespace webpods::handlers
