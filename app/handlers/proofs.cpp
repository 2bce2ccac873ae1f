// Checkpoints and proofs: parse the parameters, plan the nodes, one batch read, render.
#include "handlers/proofs.h"

#include <stdexcept>
#include <string>
#include <vector>

#include "checkpoint/checkpoint.h"
#include "encoding/encoding.h"
#include "errors/errors.h"
#include "ids/ids.h"
#include "json/writer.h"
#include "merkle/merkle.h"
#include "store/merkle.h"

namespace webpods::handlers {

namespace {

using errors::Code;
using errors::Error;

std::string base64_of(const merkle::Hash& hash) {
    return encoding::base64_encode(merkle::to_bytes(hash));
}

const std::string* parameter(const RequestContext& context, const std::string& name) {
    const auto found = context.query.find(name);
    return found == context.query.end() ? nullptr : &found->second;
}

// An integer parameter, or `fallback` when absent; `code` when present but not an integer.
long long integer_parameter(const RequestContext& context,
                            const std::string& name,
                            long long fallback,
                            Code code) {
    const std::string* text = parameter(context, name);
    if (text == nullptr) {
        return fallback;
    }
    const auto value = ids::parse_integer(*text);
    if (!value) {
        throw Error(code, name + " must be an integer");
    }
    return *value;
}

// The stream's record count, as the pipeline read it: a tree of size 0 is never served.
long long tree_size(const store::PodContext& pod) {
    const long long count = pod.stream->head.record_count;
    if (count < 1) {
        throw Error(Code::kStreamNotFound);
    }
    return count;
}

// Reads the nodes that `ranges` and the root of `size` fold from, plus the leaf's record hash, in
// one statement. A node that is missing means storage disagrees with the count.
store::TreeNodes read_nodes(RequestContext& context,
                            const store::PodContext& pod,
                            std::vector<merkle::Range> ranges,
                            std::uint64_t size,
                            std::optional<long long> leaf) {
    ranges.push_back({0, size});
    const std::vector<merkle::NodeId> wanted = merkle::nodes_of(ranges);
    store::TreeNodes found =
        store::read_tree_nodes(context.tx(), pod.stream->head.id, wanted, leaf);
    if (found.nodes.size() != wanted.size() ||
        (leaf && (!found.leaf_data || found.leaf_data->size() != merkle::kHashSize))) {
        throw errors::internal_error("stream " + std::to_string(pod.stream->head.id) +
                                     ": stored tree nodes missing");
    }
    return found;
}

void write_hashes(json::Writer& writer, const std::vector<merkle::Hash>& hashes) {
    writer.begin_array();
    for (const merkle::Hash& hash : hashes) {
        writer.string(base64_of(hash));
    }
    writer.end_array();
}

http::Response inclusion_proof(RequestContext& context, const store::PodContext& pod) {
    const long long count = tree_size(pod);
    // SPEC §12: the size is checked first, then the index.
    const long long size = integer_parameter(context, "size", count, Code::kInvalidRange);
    if (size < 1 || size > count) {
        throw Error(Code::kInvalidRange, "size must be between 1 and the record count");
    }
    if (parameter(context, "i") == nullptr) {
        throw Error(Code::kInvalidIndex, "i is required");
    }
    const long long index = integer_parameter(context, "i", 0, Code::kInvalidIndex);
    if (index < 0 || index >= size) {
        throw Error(Code::kInvalidIndex, "i must be between 0 and size - 1");
    }
    const auto tree = static_cast<std::uint64_t>(size);
    const std::vector<merkle::Range> plan =
        merkle::inclusion_ranges(static_cast<std::uint64_t>(index), tree);
    const store::TreeNodes found = read_nodes(context, pod, plan, tree, index);
    json::Writer writer;
    writer.begin_object().key("index").integer(index).key("size").integer(size);
    writer.key("leaf").string(encoding::base64_encode(*found.leaf_data));
    writer.key("root").string(base64_of(merkle::range_hash({0, tree}, found.nodes)));
    writer.key("proof");
    write_hashes(writer, merkle::range_hashes(plan, found.nodes));
    writer.end_object();
    return http::Response::json(200, std::move(writer).take());
}

http::Response consistency_proof(RequestContext& context, const store::PodContext& pod) {
    const long long count = tree_size(pod);
    const long long size = integer_parameter(context, "size", count, Code::kInvalidRange);
    const long long from = integer_parameter(context, "from", 0, Code::kInvalidRange);
    if (from < 1 || from > size || size > count) {
        throw Error(Code::kInvalidRange, "need 1 <= from <= size <= the record count");
    }
    const auto tree = static_cast<std::uint64_t>(size);
    const std::vector<merkle::Range> plan =
        merkle::consistency_ranges(static_cast<std::uint64_t>(from), tree);
    const store::TreeNodes found = read_nodes(context, pod, plan, tree, std::nullopt);
    json::Writer writer;
    writer.begin_object().key("from").integer(from).key("size").integer(size);
    writer.key("root").string(base64_of(merkle::range_hash({0, tree}, found.nodes)));
    writer.key("proof");
    write_hashes(writer, merkle::range_hashes(plan, found.nodes));
    writer.end_object();
    return http::Response::json(200, std::move(writer).take());
}

http::Response signed_checkpoint(RequestContext& context, const store::PodContext& pod) {
    const checkpoint::Signer* signer = context.worker.signer;
    if (signer == nullptr) {
        throw Error(Code::kSigningUnavailable);
    }
    // Count and frontier from the stream row in one read: the checkpoint is of the current
    // tree, which may have grown since the pipeline read the count.
    const auto head = store::read_tree_head(context.tx(), pod.stream->head.id);
    if (!head || head->size < 1) {
        throw Error(Code::kStreamNotFound);
    }
    checkpoint::Checkpoint body;
    body.origin = context.route.pod + "." + context.worker.config.domain + "/" + pod.stream->name;
    body.size = static_cast<std::uint64_t>(head->size);
    body.root = head->frontier.root();
    http::Response response;
    response.status = 200;
    response.body = signer->sign_note(checkpoint::checkpoint_text(body));
    response.set_header("Content-Type", "text/plain; charset=utf-8");
    response.set_header("Cache-Control", "no-cache");
    return response;
}

}  // namespace

bool asks_for_tree(const RequestContext& context) {
    return context.query.count("checkpoint") > 0 || context.query.count("proof") > 0;
}

http::Response read_tree(RequestContext& context, const store::PodContext& pod) {
    const std::string* proof = parameter(context, "proof");
    if (proof == nullptr) {
        return signed_checkpoint(context, pod);
    }
    if (context.query.count("checkpoint") > 0) {
        throw Error(Code::kInvalidInput, "ask for a checkpoint or a proof, not both");
    }
    if (*proof == "inclusion") {
        return inclusion_proof(context, pod);
    }
    if (*proof == "consistency") {
        return consistency_proof(context, pod);
    }
    throw Error(Code::kInvalidInput, "proof must be inclusion or consistency");
}

http::Response checkpoint_key(RequestContext& context) {
    const checkpoint::Signer* signer = context.worker.signer;
    if (signer == nullptr) {
        throw Error(Code::kSigningUnavailable);
    }
    http::Response response;
    response.status = 200;
    response.body = signer->verifier_key() + "\n";
    response.set_header("Content-Type", "text/plain; charset=utf-8");
    return response;
}

}  // namespace webpods::handlers
