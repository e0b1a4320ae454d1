// HTML building blocks: escaping and the page frame every page shares.
//
// Everything user-controlled that enters a page goes through escape(); attribute
// values are always double-quoted.
#pragma once

#include <string>
#include <string_view>

namespace lampi::cloud::web {

std::string escape(std::string_view text);

// A complete page: title, optional navigation for a logged-in user, the body.
std::string page(std::string_view title, std::string_view body, std::string_view username = {});

}  // namespace lampi::cloud::web
