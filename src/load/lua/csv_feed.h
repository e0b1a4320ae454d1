// CsvFeed: the rows of a CSV file handed out to users in turn, over every
// worker of the run (Locust users do the same with a shared iterator).
//
// The first line names the columns. Fields follow RFC 4180: separated by
// commas, optionally in double quotes (a quote inside doubled), CRLF or LF
// line ends. parse_csv never throws and never trusts its input.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "lampi/status.h"

namespace lampi::load::lua {

struct CsvTable {
    std::vector<std::string> columns;
    std::vector<std::vector<std::string>> rows;  // each as long as `columns`
};

// An error names the line (1 is the header) and what is wrong with it.
Result<CsvTable> parse_csv(std::string_view text);

class CsvFeed {
public:
    explicit CsvFeed(CsvTable table) : table_(std::move(table)) {}
    const CsvTable& table() const { return table_; }
    // The index of the next row to hand out, from 0, round and round. Thread-safe.
    std::size_t take() { return next_.fetch_add(1, std::memory_order_relaxed) % table_.rows.size(); }

private:
    CsvTable table_;
    std::atomic<std::size_t> next_{0};
};

// The run's feeds by file, so every worker's Lua state shares one per file. Thread-safe.
class CsvFeeds {
public:
    // Reads and parses `path` the first time; an error names the file and line.
    Result<std::shared_ptr<CsvFeed>> open(const std::string& path);
    // The files opened so far, as open() was given them.
    std::vector<std::string> paths();
    // From now on open() refuses a file not opened yet, saying `why`.
    void refuse_new(std::string why);

private:
    std::mutex mutex_;
    std::string refusal_;
    std::map<std::string, std::shared_ptr<CsvFeed>> feeds_;
};

}  // namespace lampi::load::lua
