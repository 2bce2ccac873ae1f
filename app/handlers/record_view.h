// How a record is shown: as JSON (SPEC §2 write answer and lists) or as its raw bytes.
#pragma once

#include <string>

#include "http/request.h"
#include "http/response.h"
#include "store/records.h"

namespace webpods::handlers {

// {"index","content","content_type","alias","hash","previous_hash","author","timestamp"}:
// content is the JSON value for application/json, text for UTF-8, else base64 with
// "content_encoding":"base64".
std::string record_json(const store::Record& record);

// How long a raw answer may be cached: a by-index read never changes, a relative one does.
enum class Caching { kImmutable, kRevalidate };

// The record's bytes with its type and the X-Hash family of headers; 304 when the request's
// If-None-Match names the hash.
http::Response raw_record_response(const http::Request& request,
                                   store::Record record,
                                   Caching caching);

// Whether a content type (parameters ignored, case-insensitive) is application/json.
bool is_json_type(std::string_view content_type);

}  // namespace webpods::handlers
