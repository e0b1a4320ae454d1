// The server-rendered pages. Each function returns a complete HTML document;
// every value from users or lamps is escaped. `csrf` is the token to put in the
// hidden csrfmiddlewaretoken field of each form.
#pragma once

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
std::string password_change_page(std::string_view csrf, std::string_view username, std::string_view error, bool done);
std::string logout_page(std::string_view csrf, std::string_view username);
std::string logged_out_page();

// The lamps page. The element <div id="lamps"> is where the control page script
// attaches: it carries data-csrf and data-credential-url, and one child per lamp
// with data-device-id, data-name, data-online and data-state (the last
// lamp/changed JSON, "" if never seen).
std::string index_page(std::string_view username, std::string_view csrf, const std::vector<storage::Lamp>& lamps,
                       std::string_view message, std::string_view error);

// A short page for a failed form post (CSRF, bad input).
std::string error_page(int status, std::string_view title, std::string_view message);

}  // namespace lampi::cloud::pages
