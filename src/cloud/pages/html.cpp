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
    out +=
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>";
    append_escaped_html(out, title);
    out += " - LAMPi</title>\n<link rel=\"stylesheet\" href=\"";
    append_escaped_html(out, shell_assets().style);
    out += "\">\n";
    out += kAppHead;
    out += "</head>\n<body>\n<header><h1>LAMPi</h1>\n";
    if (!username.empty()) {
        // The links fold into a "Menu" disclosure on a phone (lampi.css): a native
        // <details>, so it opens from the keyboard and says whether it is expanded
        // on every page, scripts or not; wider screens show the links in the row.
        out += "<nav><span class=\"user\">";
        append_escaped_html(out, username);
        out +=
            "</span> <details class=\"menu\"><summary>Menu</summary><ul>"
            "<li><a href=\"/\">Lamps</a></li>";
        if (is_operator)
            out +=
                R"(<li><a href="/operator/admin/">Admin</a></li><li><a href="/operator/analytics/">Analytics</a></li>)";
        out +=
            "<li><a href=\"/accounts/password_change/\">Change password</a></li><li><a href=\"/logout/\">Log out</a>"
            "</li></ul></details></nav>\n";
    }
    out += "</header>\n<main>\n";
    out += body;
    out += "</main>\n</body>\n</html>\n";
    return out;
}

}  // namespace lampi::cloud::pages
