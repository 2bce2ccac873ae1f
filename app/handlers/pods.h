// Pod resource: deletion, the .meta system streams, and link routing for websites.
#pragma once

#include <optional>
#include <string>

#include "handlers/context.h"
#include "http/response.h"

namespace webpods::handlers {

// DELETE /: the owner deletes the whole pod. 204.
http::Response delete_pod(RequestContext& context);

// GET /.meta/streams: the streams the caller may read.
http::Response list_streams(RequestContext& context);

// POST /.meta/owner {"owner":"<uuid>"}: the owner hands the pod to another user.
http::Response transfer_owner(RequestContext& context);

// POST /.meta/links {"/path":"target",...}: the owner replaces the routing table.
http::Response set_links(RequestContext& context);

// The GET target for `path` ("/" or "/about") in the routing table whose .meta/links head is
// `links`, or nullopt. A target is "stream?query", "stream/alias" or "stream".
std::optional<std::string> find_link(RequestContext& context,
                                     const store::StreamHead& head,
                                     const std::string& path);

}  // namespace webpods::handlers
