// The operator's read-outs and one repair: webpodsctl pods, streams, users, revoke-sessions and
// stats, each as a table for people or, with --json, one JSON object for scripts.
#pragma once

#include <vector>

#include "ctl/cli.h"

namespace webpods::ctl {

// The five commands, in the order the overview lists them.
std::vector<Command> admin_commands();

}  // namespace webpods::ctl
