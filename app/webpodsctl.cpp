// webpodsctl: operator commands — migrate, token, verify, and the read-outs of ctl/.
#include <cstdint>
#include <ctime>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

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
    const auto records =
        store::list_records(tx, context->stream->head.id, 0, context->stream->head.record_count);
    std::vector<chain::StoredRecord> stored;
    stored.reserve(records.size());
    for (const auto& record : records) {
        chain::StoredRecord entry;
        entry.fields.index = record.index;
        entry.fields.previous_hash = record.previous_hash;
        entry.fields.timestamp = record.timestamp;
        entry.fields.content_type = record.content_type;
        entry.fields.alias = record.alias ? std::string_view(*record.alias) : std::string_view{};
        entry.fields.author = record.author;
        entry.fields.content = record.content;
        entry.hash = record.hash;
        stored.push_back(entry);
    }
    if (const auto broken = chain::find_first_break(stored)) {
        std::cout << "BROKEN at index " << broken->index << ": " << broken->reason << "\n";
        return 1;
    }
    if (!records.empty() && records.back().hash != context->stream->head.last_hash) {
        std::cout << "BROKEN: stream head does not match the last record\n";
        return 1;
    }
    std::cout << "OK " << records.size() << " records, head "
              << (records.empty() ? std::string("(empty)") : records.back().hash) << "\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
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
    };
    for (auto& command : ctl::admin_commands()) {
        commands.push_back(std::move(command));
    }
    return ctl::run(commands, argc, argv);
}
