// keygen and audit: the auditor trusts the verifier key it is given and what it saw before,
// nothing the server says without a signature or a proof.
#include "audit/commands.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <system_error>

#include "audit/client.h"
#include "chain/chain.h"
#include "checkpoint/checkpoint.h"
#include "config/config.h"
#include "encoding/encoding.h"
#include "handlers/record_view.h"
#include "merkle/merkle.h"

namespace webpods::audit {

namespace {

namespace fs = std::filesystem;
using Poco::JSON::Object;

constexpr const char* kUsage =
    "usage: webpodsctl keygen FILE --name NAME     write a new Ed25519 checkpoint key (PEM)\n"
    "       webpodsctl --config FILE keygen [FILE]  the same for checkpoint.keyFile/keyName\n"
    "       webpodsctl audit STREAM_URL --key VERIFIER_KEY [--state DIR] [--token T]\n"
    "                  [--cacert FILE]              check a stream's log over HTTP\n";

constexpr std::string_view kStateMagic = "webpods-audit-state-v1";
constexpr int kFailed = 1;
constexpr int kUsageError = 2;
constexpr int kTrouble = 3;
constexpr long long kPageSize = 1000;  // the most records one list answer holds (SPEC §10)

// The log is not what it should be: the audit's verdict.
class AuditFailure : public std::runtime_error {
public:
    using runtime_error::runtime_error;
};

std::string option_or(const std::map<std::string, std::string>& options,
                      const std::string& name,
                      const std::string& fallback) {
    const auto found = options.find(name);
    return found == options.end() ? fallback : found->second;
}

// ---- keygen ------------------------------------------------------------------------------

int keygen(const std::vector<std::string>& positional,
           const std::map<std::string, std::string>& options) {
    std::string path = positional.size() > 1 ? positional[1] : "";
    std::string name = option_or(options, "name", "");
    if (options.count("config") > 0) {
        const config::Config config = config::load_config_file(options.at("config"));
        path = path.empty() ? config.checkpoint_key_file : path;
        name = name.empty() ? config.checkpoint_key_name : name;
    }
    if (path.empty() || name.empty()) {
        std::cerr << kUsage;
        return kUsageError;
    }
    const std::string pem = checkpoint::generate_private_key_pem();
    const checkpoint::Signer signer(pem, name);  // checks the name before anything is written
    // O_EXCL: a log's key is its identity; replacing it silently would orphan every checkpoint.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        const std::error_code error(errno, std::generic_category());
        std::cerr << "webpodsctl: cannot create " << path << ": " << error.message() << "\n";
        return error == std::errc::file_exists ? kFailed : kTrouble;
    }
    const bool written = ::write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size());
    if (::close(fd) != 0 || !written) {
        std::cerr << "webpodsctl: cannot write " << path << "\n";
        return kTrouble;
    }
    std::cout << signer.verifier_key() << "\n";
    return 0;
}

// ---- what the auditor remembers -------------------------------------------------------------

// The last tree the auditor verified for one origin: enough to prove the next one extends it
// and to extend the tree and chain with only the records added since.
struct State {
    std::uint64_t size = 0;
    merkle::Hash root{};
    std::string last_hash;  // of record size - 1
    merkle::Frontier frontier;
};

fs::path default_state_dir() {
    // NOLINTNEXTLINE(concurrency-mt-unsafe): a single-threaded command
    const char* home = std::getenv("HOME");
    return fs::path(home != nullptr ? home : ".") / ".local" / "state" / "webpods";
}

// One file per origin, named by a digest so that any stream name is a safe file name.
fs::path state_path(const fs::path& dir, const std::string& origin) {
    return dir / (chain::sha256_hex(origin).substr(0, 32) + ".state");
}

std::string base64_of(const merkle::Hash& hash) {
    return encoding::base64_encode(merkle::to_bytes(hash));
}

std::optional<merkle::Hash> hash_of_base64(std::string_view text) {
    const auto bytes = encoding::base64_decode(text);
    return bytes ? merkle::from_bytes(*bytes) : std::nullopt;
}

std::optional<State> read_state(const fs::path& path, const std::string& origin) {
    std::ifstream file(path);
    if (!file) {
        return std::nullopt;
    }
    const auto corrupt = [&path]() {
        return std::runtime_error("state file " + path.string() + " is corrupt; move it away");
    };
    std::string magic;
    std::string stored_origin;
    std::string size_text;
    std::string root_text;
    State state;
    if (!std::getline(file, magic) || magic != kStateMagic || !std::getline(file, stored_origin) ||
        stored_origin != origin || !std::getline(file, size_text) ||
        !std::getline(file, root_text) || !std::getline(file, state.last_hash)) {
        throw corrupt();
    }
    std::vector<merkle::Hash> roots;
    for (std::string line; std::getline(file, line);) {
        const auto root = hash_of_base64(line);
        if (!root) {
            throw corrupt();
        }
        roots.push_back(*root);
    }
    const auto root = hash_of_base64(root_text);
    try {
        state.size = std::stoull(size_text);
        state.frontier = merkle::Frontier(state.size, roots);
    } catch (const std::exception&) {
        throw corrupt();
    }
    if (!root || state.size == 0 || state.frontier.root() != *root) {
        throw corrupt();
    }
    state.root = *root;
    return state;
}

// Written beside and renamed over, so that a crash leaves the old state or the new one.
void write_state(const fs::path& path, const std::string& origin, const State& state) {
    const fs::path temporary = path.string() + ".tmp";
    {
        std::ofstream file(temporary, std::ios::trunc);
        file << kStateMagic << "\n"
             << origin << "\n"
             << state.size << "\n"
             << base64_of(state.root) << "\n"
             << state.last_hash << "\n";
        for (const merkle::Hash& root : state.frontier.roots()) {
            file << base64_of(root) << "\n";
        }
        if (!file.flush()) {
            throw std::runtime_error("cannot write " + temporary.string());
        }
    }
    fs::rename(temporary, path);
}

// ---- talking to the server ------------------------------------------------------------------

Answer expect_ok(const Client& client, const std::string& target, const std::string& what) {
    Answer answer = client.get(target);
    if (answer.status != 200) {
        throw AuditFailure(what + ": HTTP " + std::to_string(answer.status) + " " +
                           answer.body.substr(0, 300));
    }
    return answer;
}

Object::Ptr json_object(const std::string& text, const std::string& what) {
    try {
        Poco::Dynamic::Var value = Poco::JSON::Parser().parse(text);
        if (value.type() == typeid(Object::Ptr)) {
            return value.extract<Object::Ptr>();
        }
    } catch (const Poco::Exception&) {
    }
    throw AuditFailure(what + ": not a JSON object");
}

std::string string_or_empty(const Object& object, const std::string& key) {
    if (!object.has(key) || object.isNull(key)) {
        return "";
    }
    return object.getValue<std::string>(key);
}

std::vector<merkle::Hash> proof_of(const Object& answer, const std::string& what) {
    const auto array = answer.getArray("proof");
    if (!array) {
        throw AuditFailure(what + ": no proof array");
    }
    std::vector<merkle::Hash> proof;
    for (std::size_t k = 0; k < array->size(); ++k) {
        const auto hash = hash_of_base64(array->getElement<std::string>(static_cast<unsigned>(k)));
        if (!hash) {
            throw AuditFailure(what + ": proof element is not a base64 hash");
        }
        proof.push_back(*hash);
    }
    return proof;
}

// The consistency proof from the remembered tree to the checkpoint's, verified.
void check_consistency(const Client& client,
                       const State& seen,
                       const checkpoint::Checkpoint& latest) {
    const std::string what =
        "consistency proof " + std::to_string(seen.size) + " -> " + std::to_string(latest.size);
    const Answer answer = expect_ok(client,
                                    "?proof=consistency&from=" + std::to_string(seen.size) +
                                        "&size=" + std::to_string(latest.size),
                                    what);
    const Object::Ptr body = json_object(answer.body, what);
    const std::vector<merkle::Hash> proof = proof_of(*body, what);
    if (!merkle::verify_consistency(seen.size, latest.size, seen.root, latest.root, proof)) {
        throw AuditFailure(what +
                           " does not verify: the log rewrote or forked the history it "
                           "showed before (remembered root " +
                           base64_of(seen.root) + ")");
    }
}

// The stored bytes of a record from its list form; JSON content is shown as a value, so its
// exact bytes are read raw.
std::string content_of(const Client& client, const Object& record, std::int64_t index) {
    if (string_or_empty(record, "content_encoding") == "base64") {
        const auto bytes = encoding::base64_decode(string_or_empty(record, "content"));
        if (!bytes) {
            throw AuditFailure("record " + std::to_string(index) + ": content is not base64");
        }
        return *bytes;
    }
    if (handlers::is_json_type(string_or_empty(record, "content_type"))) {
        return expect_ok(client,
                         "?i=" + std::to_string(index),
                         "record " + std::to_string(index) + " (raw)")
            .body;
    }
    if (!record.has("content") || !record.get("content").isString()) {
        throw AuditFailure("record " + std::to_string(index) + ": content is not text");
    }
    return record.getValue<std::string>("content");
}

// Reads records [state.size, latest.size), checking each one's §6 hash and link, and extends
// the remembered chain and tree with them.
void extend_with_records(const Client& client, State& state, const checkpoint::Checkpoint& latest) {
    while (state.size < latest.size) {
        std::string query = "?limit=" + std::to_string(kPageSize);
        if (state.size > 0) {
            query += "&after=" + std::to_string(state.size - 1);
        }
        const Object::Ptr page =
            json_object(expect_ok(client, query, "record list").body, "record list");
        const auto records = page->getArray("records");
        if (!records || records->size() == 0) {
            throw AuditFailure("the checkpoint has " + std::to_string(latest.size) +
                               " records, the list ends at " + std::to_string(state.size));
        }
        for (std::size_t k = 0; k < records->size() && state.size < latest.size; ++k) {
            const Object::Ptr record = records->getObject(static_cast<unsigned>(k));
            const auto expected_index = static_cast<std::int64_t>(state.size);
            if (!record || record->getValue<std::int64_t>("index") != expected_index) {
                throw AuditFailure("record list skips index " + std::to_string(expected_index));
            }
            const std::string content = content_of(client, *record, expected_index);
            const std::string hash = string_or_empty(*record, "hash");
            const std::string previous_hash = string_or_empty(*record, "previous_hash");
            const std::string timestamp = string_or_empty(*record, "timestamp");
            const std::string content_type = string_or_empty(*record, "content_type");
            const std::string alias = string_or_empty(*record, "alias");
            const std::string author = string_or_empty(*record, "author");
            chain::RecordFields fields;
            fields.index = expected_index;
            fields.previous_hash = previous_hash;
            fields.timestamp = timestamp;
            fields.content_type = content_type;
            fields.alias = alias;
            fields.author = author;
            fields.content = content;
            const std::string at = "record " + std::to_string(expected_index);
            if (chain::record_hash(fields) != hash) {
                throw AuditFailure(at + ": its hash does not match its fields (altered?)");
            }
            if (previous_hash != state.last_hash) {
                throw AuditFailure(at + ": previous_hash does not link to record " +
                                   std::to_string(expected_index - 1));
            }
            const auto leaf = encoding::hex_decode(std::string_view(hash).substr(7));
            state.frontier.append(merkle::leaf_hash(*leaf));
            state.last_hash = hash;
            ++state.size;
        }
    }
    if (state.frontier.root() != latest.root) {
        throw AuditFailure("the Merkle root of the records, " + base64_of(state.frontier.root()) +
                           ", is not the checkpoint's");
    }
    state.root = latest.root;
}

std::string read_verifier_key(const std::string& value) {
    // The key line itself, or a file holding it (as /.well-known/webpods-checkpoint-key gives).
    std::error_code error;
    if (value.find('+') == std::string::npos && fs::is_regular_file(value, error)) {
        std::ifstream file(value);
        std::string line;
        std::getline(file, line);
        return line;
    }
    return value;
}

int audit(const std::vector<std::string>& positional,
          const std::map<std::string, std::string>& options) {
    if (positional.size() != 2 || options.count("key") == 0) {
        std::cerr << kUsage;
        return kUsageError;
    }
    const checkpoint::Verifier verifier =
        checkpoint::Verifier::parse(read_verifier_key(options.at("key")));
    std::optional<StreamUrl> url;
    try {
        url = StreamUrl::parse(positional[1]);
    } catch (const ClientError& error) {
        std::cerr << "webpodsctl: " << error.what() << "\n";
        return kUsageError;
    }
    const Client client(*url, option_or(options, "token", ""), option_or(options, "cacert", ""));
    const std::string origin = client.url().host + client.url().path;
    const fs::path dir =
        options.count("state") > 0 ? fs::path(options.at("state")) : default_state_dir();
    fs::create_directories(dir);
    const fs::path path = state_path(dir, origin);

    const Answer note = expect_ok(client, "?checkpoint", "checkpoint");
    checkpoint::Checkpoint latest;
    try {
        latest = checkpoint::open_checkpoint(note.body, verifier);
    } catch (const checkpoint::NoteError& error) {
        throw AuditFailure(std::string("checkpoint: ") + error.what());
    }
    if (latest.origin != origin) {
        throw AuditFailure("checkpoint is for " + latest.origin + ", not " + origin);
    }
    std::optional<State> seen = read_state(path, origin);
    State state = seen.value_or(State{});
    if (seen) {
        if (latest.size < seen->size) {
            throw AuditFailure("the tree shrank from " + std::to_string(seen->size) + " to " +
                               std::to_string(latest.size) + " records: history was rewritten");
        }
        if (latest.size == seen->size && latest.root != seen->root) {
            throw AuditFailure("a second root for size " + std::to_string(latest.size) +
                               ": the log forked");
        }
        if (latest.size > seen->size) {
            check_consistency(client, *seen, latest);
        }
    }
    extend_with_records(client, state, latest);
    write_state(path, origin, state);
    std::ofstream(path.string() + ".note", std::ios::trunc) << note.body;  // the signed evidence
    std::cout << "OK " << origin << " size " << latest.size << " root " << base64_of(latest.root)
              << "\n";
    return 0;
}

}  // namespace

bool is_offline_command(const std::string& command) {
    return command == "keygen" || command == "audit";
}

int run_offline_command(const std::vector<std::string>& positional,
                        const std::map<std::string, std::string>& options) {
    try {
        return positional.at(0) == "keygen" ? keygen(positional, options)
                                            : audit(positional, options);
    } catch (const AuditFailure& failure) {
        std::cerr << "FAIL: " << failure.what() << "\n";
        return kFailed;
    } catch (const checkpoint::NoteError& error) {
        std::cerr << "webpodsctl: " << error.what() << "\n";
        return kUsageError;
    } catch (const config::ConfigError& error) {
        std::cerr << "webpodsctl: " << error.what() << "\n";
        return kUsageError;
    } catch (const ClientError& error) {
        std::cerr << "webpodsctl: " << error.what() << "\n";
        return kTrouble;
    } catch (const std::exception& error) {
        std::cerr << "webpodsctl: " << error.what() << "\n";
        return kTrouble;
    }
}

}  // namespace webpods::audit
