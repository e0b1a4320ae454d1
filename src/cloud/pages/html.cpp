#include "pages/html.h"

#include <fmt/core.h>

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
    std::string nav;
    if (!username.empty()) {
        nav = fmt::format(
            "<nav><span class=\"user\">{}</span> <a href=\"/\">Lamps</a> {}"
            "<a href=\"/accounts/password_change/\">Change password</a> <a href=\"/logout/\">Log out</a></nav>\n",
            escape_html(username),
            is_operator ? R"(<a href="/operator/admin/">Admin</a> <a href="/operator/analytics/">Analytics</a> )" : "");
    }
    return fmt::format(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<title>{} - LAMPi</title>\n<link rel=\"stylesheet\" href=\"{}\">\n{}</head>\n<body>\n"
        "<header><h1>LAMPi</h1>\n{}</header>\n<main>\n{}</main>\n</body>\n</html>\n",
        escape_html(title), escape_html(shell_assets().style), kAppHead, nav, body);
}

}  // namespace lampi::cloud::pages
