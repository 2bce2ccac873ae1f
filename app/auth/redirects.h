// Where we send browsers (SPEC §3, §7): the redirect sanitiser, and the origins built from
// publicUrl.
#pragma once

#include <string>
#include <string_view>

#include "config/config.h"

namespace webpods::auth {

// SPEC §3: target when it is a relative path ("/" followed by neither "/" nor "\", no control
// characters) or an http(s) URL whose host is `domain` or one pod label under it (any port, no
// user info); "/" for anything else, the empty string included.
std::string safe_redirect(std::string_view target, std::string_view domain);

// The pod's origin for a browser (SPEC §7): publicUrl's scheme, "{pod}.{domain}" and publicUrl's
// port, if it has one.
std::string pod_origin(const config::Config& config, const std::string& pod);

}  // namespace webpods::auth
