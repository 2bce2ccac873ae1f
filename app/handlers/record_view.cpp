// Record rendering: the SPEC §2 record object through json::Writer, and the raw-bytes answer.
#include "handlers/record_view.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "encoding/encoding.h"
#include "encoding/utf8.h"
#include "json/writer.h"

namespace webpods::handlers {

bool is_json_type(std::string_view content_type) {
    const std::string_view media = content_type.substr(0, content_type.find(';'));
    static constexpr std::string_view kJson = "application/json";
    std::string_view trimmed = media;
    while (!trimmed.empty() && trimmed.back() == ' ') {
        trimmed.remove_suffix(1);
    }
    return trimmed.size() == kJson.size() &&
           std::equal(trimmed.begin(), trimmed.end(), kJson.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) == b;
           });
}

std::string record_json(const store::Record& record) {
    json::Writer writer;
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
    return std::move(writer).take();
}

http::Response raw_record_response(const http::Request& request,
                                   store::Record record,
                                   Caching caching) {
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
    response.body = std::move(record.content);
    return response;
}

}  // namespace webpods::handlers
