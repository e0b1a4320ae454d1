#include "lua/csv_feed.h"

#include <fmt/core.h>

#include <fstream>
#include <sstream>

namespace lampi::load::lua {

Result<CsvTable> parse_csv(std::string_view text) {
    CsvTable table;
    std::vector<std::string> record;
    std::string field;
    bool quoted = false;       // inside a quoted field
    bool was_quoted = false;   // the current field was quoted (only a separator may follow)
    bool record_empty = true;  // nothing on this line yet
    std::size_t line = 1, record_line = 1;

    auto end_field = [&] {
        record.push_back(std::move(field));
        field.clear();
        was_quoted = false;
    };
    auto end_record = [&]() -> Status {
        end_field();
        if (record_empty) {
            record.clear();  // a blank line
            return Status::ok();
        }
        if (table.columns.empty()) {
            table.columns = std::move(record);
        } else if (record.size() != table.columns.size()) {
            return Status::error(fmt::format("line {}: {} fields where the header names {}", record_line, record.size(),
                                             table.columns.size()));
        } else {
            table.rows.push_back(std::move(record));
        }
        record.clear();
        record_empty = true;
        return Status::ok();
    };

    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (quoted) {
            if (c == '"') {
                if (i + 1 < text.size() && text[i + 1] == '"') {
                    field += '"';
                    ++i;
                } else {
                    quoted = false;
                    was_quoted = true;
                }
            } else {
                if (c == '\n') ++line;
                field += c;
            }
            continue;
        }
        if (record_empty) record_line = line;
        if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
        if (c == '\n') {
            ++line;
            if (Status s = end_record(); !s) return s;
            continue;
        }
        record_empty = false;
        if (was_quoted && c != ',')
            return Status::error(fmt::format("line {}: only a comma may follow a closing quote", line));
        if (c == ',') {
            end_field();
        } else if (c == '"' && field.empty()) {
            quoted = true;
        } else {
            field += c;
        }
    }
    if (quoted) return Status::error(fmt::format("line {}: a quote is never closed", record_line));
    if (Status s = end_record(); !s) return s;
    if (table.columns.empty()) return Status::error("no header line");
    return table;
}

Result<std::shared_ptr<CsvFeed>> CsvFeeds::open(const std::string& path) {
    std::lock_guard lock(mutex_);
    if (auto it = feeds_.find(path); it != feeds_.end()) return it->second;
    if (!refusal_.empty()) return Status::permission_denied(fmt::format("{}: {}", path, refusal_));
    std::ifstream file(path, std::ios::binary);
    if (!file) return Status::not_found(fmt::format("{}: cannot read it", path));
    std::ostringstream text;
    text << file.rdbuf();
    Result<CsvTable> table = parse_csv(text.str());
    if (!table) return Status::error(fmt::format("{}: {}", path, table.status().message()));
    if (table->rows.empty()) return Status::error(fmt::format("{}: no rows under the header", path));
    auto feed = std::make_shared<CsvFeed>(std::move(table).value());
    feeds_.emplace(path, feed);
    return feed;
}

void CsvFeeds::refuse_new(std::string why) {
    std::lock_guard lock(mutex_);
    refusal_ = std::move(why);
}

std::vector<std::string> CsvFeeds::paths() {
    std::lock_guard lock(mutex_);
    std::vector<std::string> opened;
    for (const auto& [path, feed] : feeds_) opened.push_back(path);
    return opened;
}

}  // namespace lampi::load::lua
