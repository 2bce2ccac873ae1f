// webpodsctl's commands that need no database (SPEC §12): `keygen`, which makes a checkpoint
// key, and `audit`, an independent client of the HTTP API that checks a stream's log.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace webpods::audit {

// Whether `command` is one of these (they run without --config).
bool is_offline_command(const std::string& command);

// Runs `positional[0]` with its arguments; options are the --name value pairs given. Prints
// results on stdout and failures on stderr. Exit code: 0 success, 1 the check failed (audit) or
// the key file exists (keygen), 2 bad usage, 3 the server or the file system failed us.
int run_offline_command(const std::vector<std::string>& positional,
                        const std::map<std::string, std::string>& options);

}  // namespace webpods::audit
