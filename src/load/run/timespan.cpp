#include "run/timespan.h"

namespace lampi::load {

double parse_timespan(const std::string& text) {
    if (text.empty()) return -1;
    double total = 0, number = 0;
    bool digits = false, any_unit = false;
    for (char c : text) {
        if (c >= '0' && c <= '9') {
            number = number * 10 + (c - '0');
            digits = true;
            continue;
        }
        double unit = c == 'h' ? 3600 : c == 'm' ? 60 : c == 's' ? 1 : 0;
        if (unit == 0 || !digits) return -1;
        total += number * unit;
        number = 0;
        digits = false;
        any_unit = true;
    }
    if (digits) {
        if (any_unit) return -1;  // "1h30" is ambiguous
        total += number;
    }
    return total;
}

}  // namespace lampi::load
