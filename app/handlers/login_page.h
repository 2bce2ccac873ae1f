// The HTML of /auth/success (SPEC §3): the page that shows a CLI user their token.
#pragma once

#include <string>
#include <string_view>

namespace webpods::handlers {

// text with & < > " ' replaced by character references, safe in HTML text and quoted attributes.
std::string html_escape(std::string_view text);

// The success page: the token in a <pre id="token"> and a "Continue" link (id="continue") to
// redirect, which the caller has already made safe; both are escaped here. It has an inline
// style and nothing else, so it is served with kLoginPagePolicy.
std::string login_page(std::string_view token, std::string_view redirect);

// The Content-Security-Policy for login_page: no scripts, no framing, the inline style only.
inline constexpr std::string_view kLoginPagePolicy =
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

}  // namespace webpods::handlers
