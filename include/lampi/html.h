// Escaping text for HTML, for every page and report a LAMPi program writes.
#pragma once

#include <string>
#include <string_view>

namespace lampi {

// `text` with & < > " ' replaced by entities: safe in element content and in
// attribute values, whether single- or double-quoted.
std::string escape_html(std::string_view text);
// The same, appended to `out`: for pages built in one string.
void append_escaped_html(std::string& out, std::string_view text);

}  // namespace lampi
