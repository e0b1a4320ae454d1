#include "pages/html.h"

#include <fmt/core.h>

namespace lampi::cloud::pages {

std::string page(std::string_view title, std::string_view body, std::string_view username) {
    std::string nav;
    if (!username.empty()) {
        nav = fmt::format(
            "<nav><span class=\"user\">{}</span> <a href=\"/\">Lamps</a> "
            "<a href=\"/accounts/password_change/\">Change password</a> <a href=\"/logout/\">Log out</a></nav>\n",
            escape_html(username));
    }
    return fmt::format(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<title>{} - LAMPi</title>\n<link rel=\"stylesheet\" href=\"/static/lampi.css\">\n<link rel=\"icon\" href=\"data:,\">\n</head>\n<body>\n"
        "<header><h1>LAMPi</h1>\n{}</header>\n<main>\n{}</main>\n</body>\n</html>\n",
        escape_html(title), nav, body);
}

}  // namespace lampi::cloud::pages
