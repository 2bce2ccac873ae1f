// The login success page and the escaping of every value put into it.
#include "handlers/login_page.h"

namespace webpods::handlers {

std::string html_escape(std::string_view text) {
    std::string escaped;
    escaped.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '&':
                escaped += "&amp;";
                break;
            case '<':
                escaped += "&lt;";
                break;
            case '>':
                escaped += "&gt;";
                break;
            case '"':
                escaped += "&quot;";
                break;
            case '\'':
                escaped += "&#39;";
                break;
            default:
                escaped += c;
        }
    }
    return escaped;
}

std::string login_page(std::string_view token, std::string_view redirect) {
    return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
           "<title>Logged in - webpods</title>\n"
           "<style>body{font-family:system-ui,sans-serif;max-width:42rem;margin:3rem auto;"
           "padding:0 1rem;line-height:1.5}pre{white-space:pre-wrap;word-break:break-all;"
           "background:#f3f3f3;padding:1rem;border-radius:4px}</style>\n</head>\n<body>\n"
           "<h1>You are logged in</h1>\n"
           "<p>Your token, for <code>Authorization: Bearer &lt;token&gt;</code>. Keep it "
           "secret: it works until it expires.</p>\n<pre id=\"token\">" +
           html_escape(token) + "</pre>\n<p><a id=\"continue\" href=\"" + html_escape(redirect) +
           "\">Continue</a></p>\n</body>\n</html>\n";
}

}  // namespace webpods::handlers
