// webpodsctl: operator commands — migrate, token, verify, the read-outs of ctl/, keygen, audit.
#include <algorithm>
#include <cstdint>
#include <ctime>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "audit/commands.h"
#include "auth/principal.h"
#include "chain/chain.h"
#include "config/config.h"
#include "ctl/admin_commands.h"
#include "ctl/cli.h"
#include "errors/errors.h"
#include "store/database.h"
#include "store/migrations.h"
#include "store/records.h"
#include "store/streams.h"
#include "store/users.h"

namespace {

using namespace webpods;  // NOLINT(google-build-using-namespace): a small command-line tool

using ctl::Arguments;

// verify reads a stream in pieces of at most this many records and about this much content.
constexpr long long kVerifyBatchRecords = 1000;
constexpr long long kVerifyBatchBytes = 16LL * 1024 * 1024;

int migrate(store::Tx& tx, const Arguments& arguments) {
    const auto applied =
        store::apply_migrations(tx, arguments.option("dir", ctl::migrations_directory()));
    for (const auto& name : applied) {
        std::cout << "applied " << name << "\n";
    }
    std::cout << (applied.empty() ? "schema up to date\n" : "schema migrated\n");
    return 0;
}

int token(store::Tx& tx, const config::Config& config, const Arguments& arguments) {
    const std::string& auth_id = arguments.operands[1];
    // auth:{provider}:{id}
    const std::size_t first = auth_id.find(':');
    const std::size_t second = auth_id.find(':', first + 1);
    if (auth_id.rfind("auth:", 0) != 0 || second == std::string::npos ||
        second + 1 == auth_id.size()) {
        std::cerr << "AUTH_ID must look like auth:{provider}:{id}\n";
        return 2;
    }
    const std::string provider = auth_id.substr(first + 1, second - first - 1);
    const store::User user = store::upsert_user(
        tx, auth_id, provider, arguments.option("email", ""), arguments.option("name", ""));
    const std::string pod = arguments.option("pod", "");
    std::cerr << "user " << user.id << " (" << user.auth_id << ")\n";
    std::cout << auth::issue_token(user,
                                   pod.empty() ? std::nullopt : std::optional<std::string>(pod),
                                   config.jwt_secret,
                                   config.jwt_expiry)
              << "\n";
    return 0;
}

int verify(store::Tx& tx, const Arguments& arguments) {
    const auto context = store::load_pod_context(tx, arguments.operands[1], arguments.operands[2]);
    if (!context || !context->stream) {
        std::cerr << "no such stream\n";
        return 2;
    }
    // The stream is read in pieces of at most 1000 records and about 16 MiB of content, each
    // record checked and dropped as it arrives, so a stream of any size is verified in bounded
    // memory.
    const store::StreamHead& head = context->stream->head;
    chain::ChainWalk walk;
    std::optional<chain::ChainBreak> broken;
    long long first = 0;
    while (first < head.record_count && !broken) {
        long long next = first;
        store::for_each_record(tx,
                               head.id,
                               first,
                               std::min(head.record_count, first + kVerifyBatchRecords),
                               kVerifyBatchBytes,
                               [&](const store::RecordView& record) {
                                   chain::StoredRecord entry;
                                   entry.fields.index = record.index;
                                   entry.fields.previous_hash = record.previous_hash;
                                   entry.fields.timestamp = record.timestamp;
                                   entry.fields.content_type = record.content_type;
                                   entry.fields.alias = record.alias
                                                            ? std::string_view(*record.alias)
                                                            : std::string_view{};
                                   entry.fields.author = record.author;
                                   entry.fields.content = record.content;
                                   entry.hash = record.hash;
                                   broken = walk.next(entry);
                                   next = record.index + 1;
                                   return !broken;
                               });
        if (next == first) {
            break;  // no record at or after first: counted below
        }
        first = next;
    }
    if (broken) {
        std::cout << "BROKEN at index " << broken->index << ": " << broken->reason << "\n";
        return 1;
    }
    if (walk.count() != head.record_count) {
        std::cout << "BROKEN: the stream head counts " << head.record_count << " records, "
                  << walk.count() << " found\n";
        return 1;
    }
    if (walk.count() > 0 && walk.last_hash() != head.last_hash) {
        std::cout << "BROKEN: stream head does not match the last record\n";
        return 1;
    }
    std::cout << "OK " << walk.count() << " records, head "
              << (walk.count() == 0 ? std::string("(empty)") : walk.last_hash()) << "\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    // keygen and audit need no config and no database: they are clients of the HTTP API only.
    // Their rows below serve the overview and `--help`.
    const Arguments given = ctl::parse_arguments(argc, argv);
    const auto run_offline = [](store::Tx*, const config::Config&, const Arguments& a) {
        return audit::run_offline_command(a.operands, a.options);
    };
    if (!given.help && !given.version && !given.operands.empty() &&
        audit::is_offline_command(given.operands[0])) {
        return run_offline(nullptr, {}, given);
    }
    // The command table: name, synopsis, summary, details, operands, options, --json, run.
    std::vector<ctl::Command> commands = {
        {"migrate",
         "[--dir DIR]",
         "apply pending schema migrations",
         "DIR defaults to ../share/webpods/sql beside the binary when it exists (the installed\n"
         "layout: /usr/share/webpods/sql), else sql/migrations.",
         0,
         {"dir"},
         false,
         [](store::Tx* tx, const config::Config&, const Arguments& a) { return migrate(*tx, a); }},
        {"token",
         "AUTH_ID [--pod P] [--email E] [--name N]",
         "create the user if missing, print a signed token",
         "AUTH_ID is auth:{provider}:{id}; with --pod the token is bound to that pod.",
         1,
         {"pod", "email", "name"},
         false,
         [](store::Tx* tx, const config::Config& c, const Arguments& a) {
             return token(*tx, c, a);
         }},
        {"verify",
         "POD STREAM",
         "recompute a stream's hash chain (exit 1 if broken)",
         "",
         2,
         {},
         false,
         [](store::Tx* tx, const config::Config&, const Arguments& a) { return verify(*tx, a); }},
        {"keygen",
         "FILE --name NAME | --config FILE keygen [FILE]",
         "write a new Ed25519 checkpoint key (PEM), print its verifier key",
         "Without FILE and --name, checkpoint.keyFile and checkpoint.keyName of the config.\n"
         "Never replaces an existing file (exit 1). Needs no database.",
         1,
         {"name"},
         false,
         run_offline,
         ctl::Needs::kConfig},
        {"audit",
         "STREAM_URL --key VERIFIER_KEY [--state DIR] [--token T] [--cacert FILE]",
         "check a stream's log over HTTP (signature, consistency, chain)",
         "Exit 0 and OK <origin> size <n> root <base64> on stdout, or 1 and what failed.\n"
         "--state defaults to ~/.local/state/webpods. Needs no config and no database.",
         1,
         {"key", "state", "token", "cacert"},
         false,
         run_offline,
         ctl::Needs::kConfig},
    };
    for (auto& command : ctl::admin_commands()) {
        commands.push_back(std::move(command));
    }
    return ctl::run(commands, argc, argv);
}
