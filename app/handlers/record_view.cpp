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

namespace {

// How a record's content appears in its JSON (SPEC §2).
enum class ContentForm { kJson, kText, kBase64 };

ContentForm content_form(const store::RecordView& record) {
    if (is_json_type(record.content_type)) {
        return ContentForm::kJson;  // validated as JSON when written
    }
    return encoding::is_valid_utf8(record.content) ? ContentForm::kText : ContentForm::kBase64;
}

// Base64 goes out in slices of whole 3-byte groups, so a large binary record is never encoded
// whole.
constexpr std::size_t kBase64SliceBytes = std::size_t{3} * 16 * 1024;

std::size_t base64_size(std::size_t bytes) { return (bytes + 2) / 3 * 4; }

// The record as write_record_json writes it, its content written by write_content.
template <typename WriteContent>
void write_record_with(json::Writer& writer,
                       const store::RecordView& record,
                       ContentForm form,
                       WriteContent&& write_content) {
    writer.begin_object().key("index").integer(record.index).key("content");
    write_content(writer);
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
    if (form == ContentForm::kBase64) {
        writer.key("content_encoding").string("base64");
    }
    writer.end_object();
}

}  // namespace

std::string record_json(const store::RecordView& record) {
    json::Writer writer;
    write_record_json(writer, record);
    return std::move(writer).take();
}

void write_record_json(json::Writer& writer, const store::RecordView& record) {
    const ContentForm form = content_form(record);
    write_record_with(writer, record, form, [&record, form](json::Writer& out) {
        switch (form) {
            case ContentForm::kJson:
                out.raw_json(record.content);
                break;
            case ContentForm::kText:
                out.string(record.content);
                break;
            case ContentForm::kBase64:
                out.open_string();
                for (std::size_t at = 0; at < record.content.size(); at += kBase64SliceBytes) {
                    out.string_part(
                        encoding::base64_encode(record.content.substr(at, kBase64SliceBytes)));
                }
                out.close_string();
                break;
        }
    });
}

std::size_t record_json_size(const store::RecordView& record) {
    const ContentForm form = content_form(record);
    std::size_t content_size = record.content.size();
    if (form == ContentForm::kText) {
        content_size = json::quoted_size(record.content);
    } else if (form == ContentForm::kBase64) {
        content_size = base64_size(record.content.size()) + 2;
    }
    // The record around an empty placeholder, which its content then replaces.
    json::Writer frame;
    write_record_with(frame, record, form, [](json::Writer& out) { out.raw_json({}); });
    return frame.size() + content_size;
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
