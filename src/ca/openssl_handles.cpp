#include "openssl_handles.h"

#include <openssl/err.h>

namespace lampi::ca {

std::string openssl_error(std::string_view context) {
    std::string message(context);
    bool first = true;
    while (unsigned long code = ERR_get_error()) {
        char text[256];
        ERR_error_string_n(code, text, sizeof text);
        message += first ? " (" : "; ";
        message += text;
        first = false;
    }
    if (!first) message += ")";
    return message;
}

void clear_openssl_errors() { ERR_clear_error(); }

}  // namespace lampi::ca
