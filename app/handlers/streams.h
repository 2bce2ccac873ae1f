// Stream resource: append a record, read records (by index, range, alias or list), delete.
#pragma once

#include "handlers/context.h"
#include "http/response.h"

namespace webpods::handlers {

// POST /{stream}: validates, creates the pod or stream when missing, appends. 201 + record.
http::Response write_record(RequestContext& context);

// GET /{path}: a link of .meta/links, a stream read, or an alias (or integer fallback) of the
// stream before the last segment. The route's stream_id is a valid stream id, or empty for the
// pod's root.
http::Response read_path(RequestContext& context);

// DELETE /{stream}: creator or pod owner; .meta streams are protected. 204.
http::Response delete_stream(RequestContext& context);

}  // namespace webpods::handlers
