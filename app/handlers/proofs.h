// A stream as a verifiable log (SPEC §12): signed checkpoints, inclusion and consistency
// proofs, and the verifier key they are checked with.
#pragma once

#include "handlers/context.h"
#include "http/response.h"
#include "store/streams.h"

namespace webpods::handlers {

// Whether a stream read asks for its tree rather than its records: ?checkpoint or ?proof=.
bool asks_for_tree(const RequestContext& context);

// GET /{stream}?checkpoint, ?proof=inclusion&i=N[&size=S], ?proof=consistency&from=M[&size=N]
// on `pod`, whose stream exists and which the caller may read. 400 INVALID_RANGE /
// INVALID_INDEX / INVALID_INPUT for bad parameters, 503 SIGNING_UNAVAILABLE without a key.
http::Response read_tree(RequestContext& context, const store::PodContext& pod);

// GET /.well-known/webpods-checkpoint-key on the main domain: the verifier key line, text/plain.
http::Response checkpoint_key(RequestContext& context);

}  // namespace webpods::handlers
