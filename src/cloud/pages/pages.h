// The server-rendered pages. Each function returns a complete HTML document;
// every value from users or lamps is escaped. `csrf` is the token to put in the
// hidden csrfmiddlewaretoken field of each form.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/store.h"

namespace lampi::cloud::pages {

std::string login_page(std::string_view csrf, std::string_view next, std::string_view error, bool signup_enabled,
                       std::string_view username = {});
// `referred_by`: the ?ref= of the sign-up link, carried to the POST in a hidden field.
std::string signup_page(std::string_view csrf, std::string_view error, std::string_view username = {},
                        std::string_view referred_by = {});
std::string password_change_page(std::string_view csrf, std::string_view username, std::string_view error, bool done,
                                 bool is_operator);
std::string logout_page(std::string_view csrf, std::string_view username, bool is_operator);
// The page of a password reset link (/accounts/reset/?token=...): the form for the
// new password while the link works (`token` set), else `error` (why not); `done`
// after the password was set, with the way to log in.
std::string password_reset_page(std::string_view csrf, std::string_view token, std::string_view error, bool done);
std::string logged_out_page();

// What the lamps page says besides the lamps.
struct IndexView {
    std::string_view message;         // a confirmation ("The lamp was added ...")
    std::string_view error;           // why the last form failed
    std::string_view typed_code;      // kept in the add form after a failed claim
    std::string_view new_lamp;        // a lamp just claimed: ask for its name and room
    std::int64_t code_seconds = 600;  // how long a lamp's code may be used
    bool is_operator = false;         // the navigation links the admin area and the dashboard
};

// The lamps page. The element <div id="lamps"> is where the control page script
// attaches: it carries data-csrf, data-credential-url and data-mqtt (where
// mqtt.js is, under its content-hashed name: shell_assets.h), one <section
// class="room" data-room> per room (lamps without a room last), and in each one
// <li> per lamp with data-device-id, data-name, data-room, data-online and
// data-state (the last lamp/changed JSON, "" if never seen). The add form (#add-lamp) gives the steps
// and the code's lifetime.
std::string index_page(std::string_view username, std::string_view csrf, const std::vector<storage::Lamp>& lamps,
                       const IndexView& view);

// What a browser that installed the site shows when it has no network (the
// service worker keeps it, web/src/sw.js): the same for everybody, with no user
// data or CSRF token, and the nearby lamp over Bluetooth.
std::string offline_page();

// The operator's analytics dashboard: one <section class="panel"> per figure
// (data-panel names it; its heading labels the chart and the table that
// dashboard.js draws into it), with /operator/analytics/queries/ as the query
// base in #dashboard's data-queries. uPlot and dashboard.js come from /static/.
std::string dashboard_page(std::string_view username);

// A short page for a failed form post (CSRF, bad input).
std::string error_page(int status, std::string_view title, std::string_view message);

}  // namespace lampi::cloud::pages
