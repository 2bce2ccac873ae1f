// webpodsctl's command line: arguments, the table of commands, and the one run loop that reads
// the config, opens the database and dispatches (help, --version and exit statuses included).
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "store/database.h"

namespace webpods::ctl {

// The command line, split. `--json`, `--help` (or `-h`) and `--version` are flags; every other
// `--name` takes the next argument as its value; the rest are operands, the command name first.
struct Arguments {
    std::vector<std::string> operands;
    std::map<std::string, std::string> options;  // without the leading "--"
    bool json = false, help = false, version = false;
    std::string missing_value;  // an option given last, without its value ("" when none)

    std::string option(const std::string& name, const std::string& fallback) const;
};

Arguments parse_arguments(int argc, const char* const* argv);

// What a command needs before it runs: the config only, or also a database session.
enum class Needs { kConfig, kDatabase };

struct Command {
    std::string_view name;
    std::string_view synopsis;              // operands and options after the name: "POD [--json]"
    std::string_view summary;               // one line for the overview
    std::string_view details;               // more lines for `webpodsctl NAME --help`, or empty
    std::size_t operands;                   // how many operands it takes, exactly
    std::vector<std::string_view> options;  // the --name value options it accepts ("dir")
    bool json;                              // whether it accepts --json
    // Returns the exit status. tx is a session on the configured database, each statement
    // on its own unless the command opens a store::Atomic; with Needs::kConfig no database
    // is opened and tx is nullptr.
    std::function<int(store::Tx* tx, const config::Config& config, const Arguments& arguments)> run;
    Needs needs = Needs::kDatabase;
};

// Runs the command argv names. Exit status: the command's own (0 success, 1 a failed check);
// 2 a usage error, a config that cannot be used, or an operand that names nothing; 3 the
// database failed. `--config FILE` names the config, else $WEBPODS_CONFIG, else
// /etc/webpods/config.json.
int run(const std::vector<Command>& commands, int argc, const char* const* argv);

// Where `migrate` finds the schema by default: ../share/webpods/sql beside the running binary
// when that directory exists (/usr/bin/webpodsctl: /usr/share/webpods/sql), else sql/migrations
// (a source checkout).
std::string migrations_directory();

// The usage error every command prints: "webpodsctl: MESSAGE" and its synopsis, on err.
int usage_error(const Command& command, const std::string& message, std::ostream& err);

}  // namespace webpods::ctl
