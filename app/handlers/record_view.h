// How a record is shown: as JSON (SPEC §2 write answer and lists) or as its raw bytes.
#pragma once

#include <cstddef>
#include <string>

#include "http/request.h"
#include "http/response.h"
#include "json/writer.h"
#include "store/records.h"

namespace webpods::handlers {

// {"index","content","content_type","alias","hash","previous_hash","author","timestamp"}:
// content is the JSON value for application/json, text for UTF-8, else base64 with
// "content_encoding":"base64".
std::string record_json(const store::RecordView& record);

// record_json written as the next value of `writer`.
void write_record_json(json::Writer& writer, const store::RecordView& record);

// How many bytes write_record_json writes for the record, counted without rendering its
// content, so an answer can decide whether it fits before it sends any of it.
std::size_t record_json_size(const store::RecordView& record);

// How long a raw answer may be cached: a by-index read never changes, a relative one does.
enum class Caching { kImmutable, kRevalidate };

// The record's bytes with its type and the X-Hash family of headers; 304 when the request's
// If-None-Match names the hash. Active content (is_active_type) by an author other than
// owner_auth_id, the pod's current owner, is sandboxed (SPEC §9).
http::Response raw_record_response(const http::Request& request,
                                   store::Record record,
                                   Caching caching,
                                   std::string_view owner_auth_id);

// The type a write stores (SPEC §2): X-Content-Type, else Content-Type without parameters, else
// text/plain. Throws Error(INVALID_INPUT) for an unprintable or overlong type.
std::string record_content_type(const http::Request& request);

// A content type's media type: parameters and surrounding blanks dropped, lower-cased.
std::string media_type_of(std::string_view content_type);

// Whether a content type is application/json.
bool is_json_type(std::string_view content_type);

// Whether a content type can run script when a browser opens it (SPEC §9): HTML, XHTML, SVG
// and every XML type.
bool is_active_type(std::string_view content_type);

}  // namespace webpods::handlers
