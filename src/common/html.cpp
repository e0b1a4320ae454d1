#include "lampi/html.h"

namespace lampi {

void append_escaped_html(std::string& out, std::string_view text) {
    std::size_t plain = 0;  // where the run of characters kept as they are began
    for (std::size_t i = 0; i < text.size(); ++i) {
        std::string_view entity;
        switch (text[i]) {
            case '&': entity = "&amp;"; break;
            case '<': entity = "&lt;"; break;
            case '>': entity = "&gt;"; break;
            case '"': entity = "&quot;"; break;
            case '\'': entity = "&#39;"; break;
            default: continue;
        }
        out.append(text.substr(plain, i - plain)).append(entity);
        plain = i + 1;
    }
    out.append(text.substr(plain));
}

std::string escape_html(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 16);
    append_escaped_html(out, text);
    return out;
}

}  // namespace lampi
