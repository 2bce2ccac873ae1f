// webpodsctl's run loop: parse, help and version, config, database, dispatch.
#include "ctl/cli.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>

#include "errors/errors.h"
#include "json/writer.h"

namespace webpods::ctl {

namespace {

constexpr const char* kDefaultConfig = "/etc/webpods/config.json";

void print_synopsis(const Command& command, std::ostream& out) {
    out << "usage: webpodsctl [--config FILE] " << command.name;
    if (!command.synopsis.empty()) {
        out << " " << command.synopsis;
    }
    out << "\n";
}

void print_overview(const std::vector<Command>& commands, std::ostream& out) {
    out << "usage: webpodsctl [--config FILE] COMMAND [ARGUMENTS] [--json]\n"
           "       webpodsctl COMMAND --help | webpodsctl --version\n"
           "The config is FILE, else $WEBPODS_CONFIG, else "
        << kDefaultConfig << ".\ncommands:\n";
    std::size_t width = 0;
    for (const Command& command : commands) {
        width = std::max(width, command.name.size());
    }
    for (const Command& command : commands) {
        out << "  " << command.name << std::string(width - command.name.size() + 2, ' ')
            << command.summary << "\n";
    }
}

void print_help(const Command& command, std::ostream& out) {
    print_synopsis(command, out);
    out << command.summary << "\n";
    if (!command.details.empty()) {
        out << command.details << "\n";
    }
}

const Command* find_command(const std::vector<Command>& commands, std::string_view name) {
    const auto found = std::find_if(
        commands.begin(), commands.end(), [name](const Command& c) { return c.name == name; });
    return found == commands.end() ? nullptr : &*found;
}

std::string config_path(const Arguments& arguments) {
    if (const auto given = arguments.options.find("config"); given != arguments.options.end()) {
        return given->second;
    }
    // NOLINTNEXTLINE(concurrency-mt-unsafe): read once, before any thread exists
    if (const char* from_environment = std::getenv("WEBPODS_CONFIG")) {
        return from_environment;
    }
    return kDefaultConfig;
}

// Why the arguments do not fit the command, or nullopt when they do.
std::optional<std::string> misfit(const Command& command, const Arguments& arguments) {
    if (arguments.json && !command.json) {
        return std::string(command.name) + " has no --json output";
    }
    if (!arguments.missing_value.empty()) {
        return "option --" + arguments.missing_value + " needs a value";
    }
    for (const auto& [name, value] : arguments.options) {
        if (name != "config" && std::find(command.options.begin(), command.options.end(), name) ==
                                    command.options.end()) {
            return "unknown option --" + name + " for " + std::string(command.name);
        }
    }
    const std::size_t given = arguments.operands.size() - 1;
    if (given != command.operands) {
        return std::string(command.name) + " takes " + std::to_string(command.operands) +
               (command.operands == 1 ? " operand" : " operands") + ", got " +
               std::to_string(given);
    }
    return std::nullopt;
}

int run_with_config(const Command& command, const Arguments& arguments) {
    config::Config config;
    try {
        config = config::load_config_file(config_path(arguments));
    } catch (const config::ConfigError& error) {
        std::cerr << "webpodsctl: " << error.what() << "\n";
        return 2;
    }
    try {
        if (command.needs == Needs::kConfig) {
            return command.run(nullptr, config, arguments);
        }
        store::Database database(store::connection_string(config.database), 1);
        // One attempt each: a command that lost its connection reports it rather than run twice.
        return database.run(store::Retry::kAfterRollback,
                            [&](store::Tx& tx) { return command.run(&tx, config, arguments); });
    } catch (const errors::Error& error) {
        std::cerr << "webpodsctl: " << error.message() << ": " << error.detail() << "\n";
        return 3;
    } catch (const std::exception& error) {
        std::cerr << "webpodsctl: " << error.what() << "\n";
        return 3;
    }
}

}  // namespace

std::string Arguments::option(const std::string& name, const std::string& fallback) const {
    const auto found = options.find(name);
    return found == options.end() ? fallback : found->second;
}

Arguments parse_arguments(int argc, const char* const* argv) {
    Arguments arguments;
    for (int i = 1; i < argc; ++i) {
        const std::string argument = argv[i];
        if (argument == "--json") {
            arguments.json = true;
        } else if (argument == "--help" || argument == "-h") {
            arguments.help = true;
        } else if (argument == "--version") {
            arguments.version = true;
        } else if (argument.size() > 2 && argument.rfind("--", 0) == 0) {
            if (i + 1 == argc) {
                arguments.missing_value = argument.substr(2);
            } else {
                arguments.options[argument.substr(2)] = argv[++i];
            }
        } else {
            arguments.operands.push_back(argument);
        }
    }
    return arguments;
}

std::string migrations_directory() {
    std::error_code error;
    const std::filesystem::path binary = std::filesystem::read_symlink("/proc/self/exe", error);
    if (!error) {
        const std::filesystem::path installed =
            binary.parent_path().parent_path() / "share" / "webpods" / "sql";
        if (std::filesystem::is_directory(installed, error)) {
            return installed.string();
        }
    }
    return "sql/migrations";
}

int usage_error(const Command& command, const std::string& message, std::ostream& err) {
    err << "webpodsctl: " << message << "\n";
    print_synopsis(command, err);
    return 2;
}

int run(const std::vector<Command>& commands, int argc, const char* const* argv) {
    const Arguments arguments = parse_arguments(argc, argv);
    if (arguments.version) {
        if (arguments.json) {
            json::Writer writer;
            writer.begin_object().key("version").string(WEBPODS_VERSION).end_object();
            std::cout << writer.text() << "\n";
        } else {
            std::cout << "webpodsctl " << WEBPODS_VERSION << "\n";
        }
        return 0;
    }
    if (arguments.operands.empty()) {
        print_overview(commands, arguments.help ? std::cout : std::cerr);
        return arguments.help ? 0 : 2;
    }
    const Command* command = find_command(commands, arguments.operands[0]);
    if (command == nullptr) {
        std::cerr << "webpodsctl: unknown command " << arguments.operands[0] << "\n";
        print_overview(commands, std::cerr);
        return 2;
    }
    if (arguments.help) {
        print_help(*command, std::cout);
        return 0;
    }
    if (const auto problem = misfit(*command, arguments)) {
        return usage_error(*command, *problem, std::cerr);
    }
    return run_with_config(*command, arguments);
}

}  // namespace webpods::ctl
