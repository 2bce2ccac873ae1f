// webpodsctl: operator commands — migrate, token, verify, users, keygen, audit.
#include <algorithm>
#include <cstdint>
#include <ctime>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "audit/commands.h"
#include "auth/principal.h"
#include "chain/chain.h"
#include "config/config.h"
#include "errors/errors.h"
#include "store/database.h"
#include "store/migrations.h"
#include "store/records.h"
#include "store/streams.h"
#include "store/users.h"

namespace {

using namespace webpods;  // NOLINT(google-build-using-namespace): a small command-line tool

// verify reads a stream in pieces of at most this many records and about this much content.
constexpr long long kVerifyBatchRecords = 1000;
constexpr long long kVerifyBatchBytes = 16LL * 1024 * 1024;

constexpr const char* kUsage =
    "usage: webpodsctl --config FILE COMMAND\n"
    "  migrate [--dir sql/migrations]      apply pending schema migrations\n"
    "  token AUTH_ID [--pod P] [--email E] [--name N]\n"
    "                                      create the user if missing, print a signed token\n"
    "  verify POD STREAM                   recompute a stream's hash chain (exit 1 if broken)\n"
    "  users                               list users\n"
    "  keygen, audit                       checkpoint keys and log audits (no --config needed;\n"
    "                                      see webpodsctl audit)\n";

struct Arguments {
    std::string config_path;
    std::vector<std::string> positional;
    std::map<std::string, std::string> options;
};

Arguments parse_arguments(int argc, char** argv) {
    Arguments arguments;
    for (int i = 1; i < argc; ++i) {
        const std::string argument = argv[i];
        if (argument.rfind("--", 0) == 0 && i + 1 < argc) {
            arguments.options[argument.substr(2)] = argv[++i];
        } else {
            arguments.positional.push_back(argument);
        }
    }
    arguments.config_path =
        arguments.options.count("config") > 0 ? arguments.options["config"] : std::string{};
    return arguments;
}

std::string option(const Arguments& arguments,
                   const std::string& name,
                   const std::string& fallback) {
    const auto found = arguments.options.find(name);
    return found == arguments.options.end() ? fallback : found->second;
}

int migrate(store::Tx& tx, const Arguments& arguments) {
    const auto applied = store::apply_migrations(tx, option(arguments, "dir", "sql/migrations"));
    for (const auto& name : applied) {
        std::cout << "applied " << name << "\n";
    }
    std::cout << (applied.empty() ? "schema up to date\n" : "schema migrated\n");
    return 0;
}

int token(store::Tx& tx, const config::Config& config, const Arguments& arguments) {
    if (arguments.positional.size() < 2) {
        std::cerr << kUsage;
        return 2;
    }
    const std::string& auth_id = arguments.positional[1];
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
        tx, auth_id, provider, option(arguments, "email", ""), option(arguments, "name", ""));
    const std::string pod = option(arguments, "pod", "");
    std::cerr << "user " << user.id << " (" << user.auth_id << ")\n";
    std::cout << auth::issue_token(user,
                                   pod.empty() ? std::nullopt : std::optional<std::string>(pod),
                                   config.jwt_secret,
                                   config.jwt_expiry)
              << "\n";
    return 0;
}

int verify(store::Tx& tx, const Arguments& arguments) {
    if (arguments.positional.size() < 3) {
        std::cerr << kUsage;
        return 2;
    }
    const auto context =
        store::load_pod_context(tx, arguments.positional[1], arguments.positional[2]);
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
                               [&](store::Record&& record) {
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

int print_users(store::Tx& tx) {
    for (const auto& user : store::list_users(tx)) {
        std::cout << user.id << "\t" << user.auth_id << "\t" << user.email << "\t" << user.name
                  << "\n";
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const Arguments arguments = parse_arguments(argc, argv);
    if (!arguments.positional.empty() && audit::is_offline_command(arguments.positional[0])) {
        return audit::run_offline_command(arguments.positional, arguments.options);
    }
    if (arguments.positional.empty() || arguments.config_path.empty()) {
        std::cerr << kUsage;
        return 2;
    }
    config::Config config;
    try {
        config = config::load_config_file(arguments.config_path);
    } catch (const config::ConfigError& error) {
        std::cerr << "webpodsctl: " << error.what() << "\n";
        return 2;
    }
    try {
        store::Database database(store::connection_string(config.database), 1);
        const std::string& command = arguments.positional[0];
        // One attempt each: a command that lost its connection reports it rather than run twice.
        return database.run(store::Retry::kAfterRollback, [&](store::Tx& tx) {
            if (command == "migrate") {
                return migrate(tx, arguments);
            }
            if (command == "token") {
                return token(tx, config, arguments);
            }
            if (command == "verify") {
                return verify(tx, arguments);
            }
            if (command == "users") {
                return print_users(tx);
            }
            std::cerr << kUsage;
            return 2;
        });
    } catch (const errors::Error& error) {
        std::cerr << "webpodsctl: " << error.message() << ": " << error.detail() << "\n";
        return 3;
    } catch (const std::exception& error) {
        std::cerr << "webpodsctl: " << error.what() << "\n";
        return 3;
    }
}
