#include "pages/pages.h"

#include <fmt/core.h>

#include <algorithm>

#include "pages/html.h"
#include "pages/shell_assets.h"

namespace lampi::cloud::pages {
namespace {

std::string csrf_field(std::string_view csrf) {
    std::string field = R"(<input type="hidden" name="csrfmiddlewaretoken" value=")";
    append_escaped_html(field, csrf);
    field += "\">";
    return field;
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

std::string password_change_page(std::string_view csrf, std::string_view username, std::string_view error, bool done,
                                 bool is_operator) {
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
    return page("Change password", body, username, is_operator);
}

std::string logout_page(std::string_view csrf, std::string_view username, bool is_operator) {
    std::string body = fmt::format(
        "<h2>Log out</h2>\n<form method=\"post\" action=\"/logout/\">\n{}\n"
        "<p><button type=\"submit\">Log out</button></p>\n</form>\n",
        csrf_field(csrf));
    return page("Log out", body, username, is_operator);
}

std::string password_reset_page(std::string_view csrf, std::string_view token, std::string_view error, bool done) {
    if (done)
        return page("Password set",
                    "<h2>Password set</h2>\n<p class=\"message\" role=\"status\">Your new password is "
                    "set, and you were logged out everywhere.</p>\n<p><a href=\"/accounts/login/?next=/\">"
                    "Log in</a> with it.</p>\n");
    if (token.empty()) return page("Reset link", fmt::format("<h2>Set a new password</h2>\n{}", error_block(error)));
    std::string body = fmt::format(
        "<h2>Set a new password</h2>\n{}<p>This link works once. Choose the password you will log in with from now "
        "on.</p>\n<form method=\"post\" action=\"/accounts/reset/\">\n{}\n"
        "<input type=\"hidden\" name=\"token\" value=\"{}\">\n"
        "<p><label for=\"id_new_password1\">New password:</label> <input type=\"password\" name=\"new_password1\" "
        "id=\"id_new_password1\" autocomplete=\"new-password\" required></p>\n"
        "<p><label for=\"id_new_password2\">New password again:</label> <input type=\"password\" "
        "name=\"new_password2\" id=\"id_new_password2\" autocomplete=\"new-password\" required></p>\n"
        "<p><button type=\"submit\">Set my password</button></p>\n</form>\n",
        error_block(error), csrf_field(csrf), escape_html(token));
    return page("Set a new password", body);
}

std::string logged_out_page() {
    return page("Logged out",
                "<h2>Logged out</h2>\n<p>You are logged out. <a href=\"/accounts/login/?next=/\">Log in "
                "again</a>.</p>\n");
}

namespace {

// Text that goes into the page escaped (lampi/html.h), among markup that goes in as it is.
struct Text {
    std::string_view value;
};

void append_piece(std::string& out, std::string_view markup) { out += markup; }
void append_piece(std::string& out, Text text) { append_escaped_html(out, text.value); }

// Appends each piece in turn: the lamps page is built in one string, without a
// format string parsed per request (with named arguments that cost more than
// the rest of the request).
template <typename... Pieces>
void append(std::string& out, const Pieces&... pieces) {
    (append_piece(out, pieces), ...);
}

// One lamp of the list. The device id sits in the folded details with the forms:
// people know their lamps by name and room, and need the id only to tell support.
void append_lamp_item(std::string& out, const storage::Lamp& lamp, std::string_view csrf_field_html) {
    const Text id{lamp.device_id}, name{lamp.name}, room{lamp.room};
    append(out, R"(<li class="lamp" data-device-id=")", id, "\" data-name=\"", name, "\" data-room=\"", room,
           "\" data-online=\"", lamp.online ? "true" : "false", "\" data-state=\"", Text{lamp.state_json},
           "\">\n<span class=\"lamp-name\">", Text{lamp.name.empty() ? lamp.device_id : lamp.name},
           "</span> <span class=\"badge\">", lamp.online ? "online" : "offline",
           "</span>\n<details class=\"manage\"><summary>Details</summary>\n<p class=\"device-id\">Device id <code>", id,
           "</code></p>\n<form method=\"post\" action=\"/lamps/", id, "/rename/\">", csrf_field_html,
           "<label for=\"name-", id, R"(">Name</label> <input type="text" name="name" id="name-)", id, "\" value=\"",
           name, R"(" maxlength="100"> <label for="room-)", id,
           R"(">Room</label> <input type="text" name="room" id="room-)", id, "\" value=\"", room,
           "\" maxlength=\"60\" list=\"room-names\"> <button type=\"submit\">Save</button></form>\n"
           "<form method=\"post\" action=\"/lamps/",
           id, "/remove/\">", csrf_field_html, "<button type=\"submit\">Remove</button></form>\n</details>\n</li>\n");
}

// The rooms the owner already uses, offered when typing a room.
// Where the page offers a lamp within Bluetooth range (web/src/nearby.js): hidden
// until the script finds Web Bluetooth in the browser.
std::string nearby_lamp_section() {
    return "<section id=\"nearby\" class=\"nearby\" aria-labelledby=\"nearby-title\" hidden>\n"
           "<h3 id=\"nearby-title\">Nearby lamp</h3>\n"
           "<p class=\"hint\">A lamp a few metres away answers over Bluetooth, even without the internet.</p>\n"
           "<button type=\"button\" class=\"nearby-connect\">Control nearby lamp over Bluetooth</button>\n"
           "<p class=\"nearby-status\" role=\"status\" aria-live=\"polite\"></p>\n"
           "<ul class=\"nearby-lamps\"></ul>\n</section>\n";
}

void append_room_names(std::string& out, const std::vector<storage::Lamp>& lamps) {
    std::vector<std::string_view> rooms;
    for (const auto& lamp : lamps)
        if (!lamp.room.empty() && std::find(rooms.begin(), rooms.end(), lamp.room) == rooms.end())
            rooms.push_back(lamp.room);
    out += "<datalist id=\"room-names\">";
    for (std::string_view room : rooms) {
        out += "<option value=\"";
        append_escaped_html(out, room);
        out += "\">";
    }
    out += "</datalist>\n";
}

// Asked right after a claim: the lamp's name (the "Lamp N" it was given) and its room.
std::string name_new_lamp_form(const storage::Lamp& lamp, std::string_view csrf) {
    return fmt::format(
        "<section class=\"name-lamp\" aria-labelledby=\"name-lamp-title\">\n"
        "<h3 id=\"name-lamp-title\">Name your new lamp</h3>\n"
        "<form method=\"post\" action=\"/lamps/{id}/rename/\">{csrf}\n"
        "<p><label for=\"new-lamp-name\">Name</label> <input type=\"text\" name=\"name\" id=\"new-lamp-name\" "
        "value=\"{name}\" maxlength=\"100\" required autofocus></p>\n"
        "<p><label for=\"new-lamp-room\">Room</label> <input type=\"text\" name=\"room\" id=\"new-lamp-room\" "
        "value=\"{room}\" maxlength=\"60\" list=\"room-names\" placeholder=\"Living room\"></p>\n"
        "<p><button type=\"submit\">Save</button> <a href=\"/\">Later</a></p>\n</form>\n</section>\n",
        fmt::arg("id", escape_html(lamp.device_id)), fmt::arg("name", escape_html(lamp.name)),
        fmt::arg("room", escape_html(lamp.room)), fmt::arg("csrf", csrf_field(csrf)));
}

// The lamps in groups, one <section class="room"> per room in name order, the lamps
// without a room last (headed "No room" only beside named rooms). With no lamp at
// all, one empty group, where the page script adds lamps that join.
void append_room_groups(std::string& out, const std::vector<storage::Lamp>& lamps, std::string_view csrf) {
    std::vector<std::string_view> rooms;
    for (const auto& lamp : lamps)
        if (std::find(rooms.begin(), rooms.end(), lamp.room) == rooms.end()) rooms.push_back(lamp.room);
    std::sort(rooms.begin(), rooms.end(),
              [](std::string_view a, std::string_view b) { return a.empty() != b.empty() ? b.empty() : a < b; });
    if (rooms.empty()) rooms.emplace_back();
    const std::string field = csrf_field(csrf);
    for (std::string_view room : rooms) {
        out += R"(<section class="room" data-room=")";
        append_escaped_html(out, room);
        out += "\">\n";
        if (!room.empty()) {
            out += "<h3 class=\"room-title\">";
            append_escaped_html(out, room);
            out += "</h3>\n";
        } else if (rooms.size() > 1) {
            out += "<h3 class=\"room-title\">No room</h3>\n";
        }
        out += "<ul>\n";
        for (const auto& lamp : lamps)
            if (lamp.room == room) append_lamp_item(out, lamp, field);
        out += "</ul>\n</section>\n";
    }
}

}  // namespace

std::string index_page(std::string_view username, std::string_view csrf, const std::vector<storage::Lamp>& lamps,
                       const IndexView& view) {
    const storage::Lamp* new_lamp = nullptr;
    for (const storage::Lamp& lamp : lamps)
        if (!view.new_lamp.empty() && lamp.device_id == view.new_lamp) new_lamp = &lamp;
    std::int64_t minutes = std::max<std::int64_t>(1, view.code_seconds / 60);
    std::string body;
    body.reserve(2048 + lamps.size() * 1024);
    body +=
        "<div class=\"page-head\"><h2>Your lamps</h2> <a class=\"button add-lamp\" href=\"#add-lamp\">Add lamp</a>"
        "</div>\n";
    if (!view.message.empty()) {
        body += R"(<p class="message" role="status">)";
        append_escaped_html(body, view.message);
        body += "</p>\n";
    }
    body += error_block(view.error);
    if (new_lamp) body += name_new_lamp_form(*new_lamp, csrf);
    body += R"(<div id="lamps" data-csrf=")";
    append_escaped_html(body, csrf);
    body += R"(" data-credential-url="/api/v1/mqtt-credential" data-api="/api/v1/lamps" data-mqtt=")";
    append_escaped_html(body, shell_assets().mqtt);
    body += "\">\n";
    append_room_groups(body, lamps, csrf);
    if (lamps.empty())
        body +=
            "<p class=\"empty\">You have no lamps yet. Add your first one in three steps: see <a "
            "href=\"#add-lamp\">Add a lamp</a> below.</p>\n";
    body += "</div>\n";
    append_room_names(body, lamps);
    body +=
        "<section id=\"add-lamp\" aria-labelledby=\"add-lamp-title\">\n"
        "<h3 id=\"add-lamp-title\">Add a lamp</h3>\n"
        "<ol class=\"steps\"><li>Power on the lamp.</li><li>Read the code on the lamp's screen.</li>"
        "<li>Type the code here and press <strong>Add lamp</strong>.</li></ol>\n"
        "<p class=\"hint\" id=\"code-hint\">A code works for ";
    body += std::to_string(minutes);
    body += minutes == 1 ? " minute" : " minutes";
    body += "; the lamp shows a new one before it runs out.</p>\n<form method=\"post\" action=\"/lamps/claim/\">";
    body += csrf_field(csrf);
    body +=
        "\n<label for=\"id_code\">Code shown on the lamp</label> <input type=\"text\" name=\"code\" "
        "id=\"id_code\" value=\"";
    append_escaped_html(body, view.typed_code);
    body +=
        "\" maxlength=\"20\" autocomplete=\"off\" autocapitalize=\"characters\" aria-describedby=\"code-hint\" "
        "required> <button type=\"submit\">Add lamp</button></form>\n</section>\n";
    body += nearby_lamp_section();
    body += "<script src=\"";
    append_escaped_html(body, shell_assets().script);
    body += "\" defer></script>\n";
    return page("Your lamps", body, username, view.is_operator);
}

std::string offline_page() {
    return page("Offline",
                fmt::format("<h2>You are offline</h2>\n"
                            "<p>This device cannot reach LAMPi, so your lamps cannot be shown or changed from here "
                            "just now.</p>\n<p><a href=\"/\">Try again</a></p>\n{}"
                            "<script src=\"{}\" defer></script>\n",
                            nearby_lamp_section(), escape_html(shell_assets().script)));
}

std::string error_page(int status, std::string_view title, std::string_view message) {
    return page(title, fmt::format("<h2>{} ({})</h2>\n<p>{}</p>\n<p><a href=\"/\">Back</a></p>\n", escape_html(title),
                                   status, escape_html(message)));
}

}  // namespace lampi::cloud::pages
