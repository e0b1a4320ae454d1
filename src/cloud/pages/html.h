// HTML building blocks: the page frame every page shares.
//
// Everything user-controlled that enters a page goes through escape_html()
// (lampi/html.h); attribute values are always double-quoted.
#pragma once

#include <string>
#include <string_view>

#include "lampi/html.h"

namespace lampi::cloud::pages {

// A complete page: title, optional navigation for a logged-in user (with the
// admin area and the analytics dashboard for an operator; a menu on a phone),
// the body.
std::string page(std::string_view title, std::string_view body, std::string_view username = {},
                 bool is_operator = false);

}  // namespace lampi::cloud::pages
