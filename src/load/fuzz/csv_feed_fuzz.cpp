// Fuzzes the CSV reader Lua scenarios load their data with (lua/csv_feed.h):
// it never crashes, every row it accepts has the header's width, and what it
// read, written again with every field quoted, reads back the same.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "lua/csv_feed.h"

namespace {

void check(bool condition) {
    if (!condition) std::abort();
}

std::string quoted_line(const std::vector<std::string>& fields) {
    std::string line;
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i > 0) line += ',';
        line += '"';
        for (char c : fields[i]) line += c == '"' ? std::string("\"\"") : std::string(1, c);
        line += '"';
    }
    return line + "\r\n";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using lampi::load::lua::parse_csv;
    auto table = parse_csv(std::string_view(reinterpret_cast<const char*>(data), size));
    if (!table) {
        check(!table.status().message().empty());
        return 0;
    }
    check(!table->columns.empty());
    std::string again = quoted_line(table->columns);
    for (const auto& row : table->rows) {
        check(row.size() == table->columns.size());
        again += quoted_line(row);
    }
    auto reread = parse_csv(again);
    check(static_cast<bool>(reread));
    check(reread->columns == table->columns);
    check(reread->rows == table->rows);
    return 0;
}
