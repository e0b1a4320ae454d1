#include "pages/html.h"

#include "pages/shell_assets.h"

namespace lampi::cloud::pages {
namespace {

// What makes the site an installable web app (web/src/manifest.webmanifest, the
// icons of web/tools/icons.mjs); the theme colours are the header's in lampi.css.
constexpr std::string_view kAppHead =
    "<link rel=\"manifest\" href=\"/static/manifest.webmanifest\">\n"
    "<meta name=\"theme-color\" content=\"#ffffff\" media=\"(prefers-color-scheme: light)\">\n"
    "<meta name=\"theme-color\" content=\"#222227\" media=\"(prefers-color-scheme: dark)\">\n"
    "<link rel=\"icon\" href=\"/static/icon.svg\" type=\"image/svg+xml\">\n"
    "<link rel=\"apple-touch-icon\" href=\"/static/apple-touch-icon.png\">\n";

}  // namespace

std::string page(std::string_view title, std::string_view body, std::string_view username, bool is_operator) {
    std::string out;
    out.reserve(body.size() + 1200);
    out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>";
    append_escaped_html(out, title);
    out += " - LAMPi</title>\n<link rel=\"stylesheet\" href=\"";
    append_escaped_html(out, shell_assets().style);
    out += "\">\n";
    out += kAppHead;
    out += "</head>\n<body>\n<header><h1>LAMPi</h1>\n";
    if (!username.empty()) {
        out += "<nav><span class=\"user\">";
        append_escaped_html(out, username);
        out += "</span> <a href=\"/\">Lamps</a> ";
        if (is_operator) out += R"(<a href="/operator/admin/">Admin</a> <a href="/operator/analytics/">Analytics</a> )";
        out += "<a href=\"/accounts/password_change/\">Change password</a> <a href=\"/logout/\">Log out</a></nav>\n";
    }
    out += "</header>\n<main>\n";
    out += body;
    out += "</main>\n</body>\n</html>\n";
    return out;
}

}  // namespace lampi::cloud::pages
