#include "pages/pages.h"

#include <fmt/core.h>

#include "pages/html.h"

namespace lampi::cloud::pages {
namespace {

std::string csrf_field(std::string_view csrf) {
    return fmt::format(R"(<input type="hidden" name="csrfmiddlewaretoken" value="{}">)", escape_html(csrf));
}

std::string error_block(std::string_view error) {
    return error.empty() ? std::string()
                         : fmt::format("<p class=\"error\" role=\"alert\">{}</p>\n", escape_html(error));
}

}  // namespace

std::string login_page(std::string_view csrf, std::string_view next, std::string_view error, bool signup_enabled,
                       std::string_view username) {
    std::string body = fmt::format(
        "<h2>Log in</h2>\n{}<form method=\"post\" action=\"/accounts/login/?next={}\">\n{}\n"
        "<p><label for=\"id_username\">Username:</label> <input type=\"text\" name=\"username\" id=\"id_username\" "
        "value=\"{}\" autofocus autocapitalize=\"none\" autocomplete=\"username\" maxlength=\"150\" required></p>\n"
        "<p><label for=\"id_password\">Password:</label> <input type=\"password\" name=\"password\" id=\"id_password\" "
        "autocomplete=\"current-password\" required></p>\n"
        "<input type=\"hidden\" name=\"next\" value=\"{}\">\n<p><button type=\"submit\">Log in</button></p>\n</form>\n{}",
        error_block(error), escape_html(next), csrf_field(csrf), escape_html(username), escape_html(next),
        signup_enabled ? "<p>No account? <a href=\"/accounts/signup/\">Sign up</a>.</p>\n" : "");
    return page("Log in", body);
}

std::string signup_page(std::string_view csrf, std::string_view error, std::string_view username,
                        std::string_view referred_by) {
    std::string ref_field = referred_by.empty() ? ""
                                                : fmt::format("<input type=\"hidden\" name=\"ref\" value=\"{}\">\n",
                                                              escape_html(referred_by));
    std::string body = fmt::format(
        "<h2>Sign up</h2>\n{}<form method=\"post\" action=\"/accounts/signup/\">\n{}\n{}"
        "<p><label for=\"id_username\">Username:</label> <input type=\"text\" name=\"username\" id=\"id_username\" "
        "value=\"{}\" maxlength=\"150\" required></p>\n"
        "<p><label for=\"id_password1\">Password:</label> <input type=\"password\" name=\"password1\" "
        "id=\"id_password1\" autocomplete=\"new-password\" required></p>\n"
        "<p><label for=\"id_password2\">Password again:</label> <input type=\"password\" name=\"password2\" "
        "id=\"id_password2\" autocomplete=\"new-password\" required></p>\n"
        "<p><button type=\"submit\">Sign up</button></p>\n</form>\n"
        "<p>Have an account? <a href=\"/accounts/login/?next=/\">Log in</a>.</p>\n",
        error_block(error), csrf_field(csrf), ref_field, escape_html(username));
    return page("Sign up", body);
}

std::string password_change_page(std::string_view csrf, std::string_view username, std::string_view error, bool done) {
    std::string body = fmt::format(
        "<h2>Change password</h2>\n{}{}<form method=\"post\" action=\"/accounts/password_change/\">\n{}\n"
        "<p><label for=\"id_old_password\">Old password:</label> <input type=\"password\" name=\"old_password\" "
        "id=\"id_old_password\" autocomplete=\"current-password\" required></p>\n"
        "<p><label for=\"id_new_password1\">New password:</label> <input type=\"password\" name=\"new_password1\" "
        "id=\"id_new_password1\" autocomplete=\"new-password\" required></p>\n"
        "<p><label for=\"id_new_password2\">New password again:</label> <input type=\"password\" "
        "name=\"new_password2\" id=\"id_new_password2\" autocomplete=\"new-password\" required></p>\n"
        "<p><button type=\"submit\">Change my password</button></p>\n</form>\n",
        done ? "<p class=\"message\" role=\"status\">Your password was changed.</p>\n" : "", error_block(error),
        csrf_field(csrf));
    return page("Change password", body, username);
}

std::string logout_page(std::string_view csrf, std::string_view username) {
    std::string body = fmt::format(
        "<h2>Log out</h2>\n<form method=\"post\" action=\"/logout/\">\n{}\n"
        "<p><button type=\"submit\">Log out</button></p>\n</form>\n",
        csrf_field(csrf));
    return page("Log out", body, username);
}

std::string logged_out_page() {
    return page("Logged out",
                "<h2>Logged out</h2>\n<p>You are logged out. <a href=\"/accounts/login/?next=/\">Log in "
                "again</a>.</p>\n");
}

std::string index_page(std::string_view username, std::string_view csrf, const std::vector<storage::Lamp>& lamps,
                       std::string_view message, std::string_view error) {
    std::string items;
    for (const storage::Lamp& lamp : lamps) {
        std::string shown = lamp.name.empty() ? lamp.device_id : lamp.name;
        items += fmt::format(
            "<li class=\"lamp\" data-device-id=\"{id}\" data-name=\"{name}\" data-online=\"{online}\" "
            "data-state=\"{state}\">\n"
            "<span class=\"lamp-name\">{shown}</span> <code>{id}</code> <span class=\"badge\">{badge}</span>\n"
            "<form method=\"post\" action=\"/lamps/{id}/rename/\">{csrf}<input type=\"text\" name=\"name\" "
            "value=\"{name}\" maxlength=\"100\" aria-label=\"New name\"> <button type=\"submit\">Rename</button></form>\n"
            "<form method=\"post\" action=\"/lamps/{id}/remove/\">{csrf}<button type=\"submit\">Remove</button></form>\n"
            "</li>\n",
            fmt::arg("id", escape_html(lamp.device_id)), fmt::arg("name", escape_html(lamp.name)),
            fmt::arg("online", lamp.online ? "true" : "false"), fmt::arg("state", escape_html(lamp.state_json)),
            fmt::arg("shown", escape_html(shown)), fmt::arg("badge", lamp.online ? "online" : "offline"),
            fmt::arg("csrf", csrf_field(csrf)));
    }
    std::string body = fmt::format(
        "<h2>Your lamps</h2>\n{}{}"
        "<div id=\"lamps\" data-csrf=\"{}\" data-credential-url=\"/api/v1/mqtt-credential\" "
        "data-api=\"/api/v1/lamps\">\n"
        "<ul>\n{}</ul>\n{}</div>\n"
        "<h3>Add a lamp</h3>\n<form method=\"post\" action=\"/lamps/claim/\">{}\n"
        "<label for=\"id_code\">Code shown on the lamp:</label> <input type=\"text\" name=\"code\" id=\"id_code\" "
        "maxlength=\"20\" autocomplete=\"off\" required> <button type=\"submit\">Add lamp</button></form>\n"
        "<script src=\"/static/lampi.js\" defer></script>\n",
        message.empty() ? std::string()
                        : fmt::format("<p class=\"message\" role=\"status\">{}</p>\n", escape_html(message)),
        error_block(error), escape_html(csrf), items,
        lamps.empty() ? "<p class=\"empty\">You have no lamps yet.</p>\n" : "", csrf_field(csrf));
    return page("Your lamps", body, username);
}

std::string error_page(int status, std::string_view title, std::string_view message) {
    return page(title, fmt::format("<h2>{} ({})</h2>\n<p>{}</p>\n<p><a href=\"/\">Back</a></p>\n", escape_html(title),
                                   status, escape_html(message)));
}

}  // namespace lampi::cloud::pages
