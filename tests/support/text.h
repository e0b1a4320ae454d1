// Test support: the checks on text that many tests make (a program's output, a
// reply body, a log).
#pragma once

#include <cctype>
#include <string>

namespace lampi::testing {

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// `s` without the whitespace at its end (a line read from a program's output).
inline std::string trimmed(std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    return s;
}

}  // namespace lampi::testing
