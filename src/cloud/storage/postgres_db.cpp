// SqlConnection over PostgreSQL with libpqxx 6.4: every distinct statement is
// prepared once per connection, parameters travel as text (NULL as nullptr).
#include <pqxx/pqxx>

#include <unordered_map>

#include "lampi/log.h"
#include "storage/sql.h"

namespace lampi::cloud::storage {
namespace {

class PostgresConnection final : public SqlConnection {
public:
    explicit PostgresConnection(std::unique_ptr<pqxx::connection> c) : conn_(std::move(c)) {}

    Dialect dialect() const override { return Dialect::postgres; }
    bool last_error_was_conflict() const override { return conflict_; }

    Result<SqlRows> query(const std::string& sql, const std::vector<SqlValue>& params) override {
        conflict_ = false;
        try {
            auto it = prepared_.find(sql);
            if (it == prepared_.end()) {
                std::string name = "s" + std::to_string(prepared_.size());
                conn_->prepare(name, sql);
                it = prepared_.emplace(sql, name).first;
            }
            std::vector<std::string> texts(params.size());
            std::vector<const char*> pointers(params.size(), nullptr);
            for (std::size_t i = 0; i < params.size(); ++i) {
                if (auto* n = std::get_if<std::int64_t>(&params[i])) {
                    texts[i] = std::to_string(*n);
                    pointers[i] = texts[i].c_str();
                } else if (auto* s = std::get_if<std::string>(&params[i])) {
                    pointers[i] = s->c_str();
                }
            }
            pqxx::nontransaction tx(*conn_);
            pqxx::result result = tx.exec_prepared(it->second, pqxx::prepare::make_dynamic_params(pointers));
            SqlRows rows;
            rows.reserve(result.size());
            for (const auto& r : result) {
                SqlRow row(r.size());
                for (pqxx::row::size_type c = 0; c < r.size(); ++c)
                    if (!r[c].is_null()) row[c] = std::string(r[c].c_str(), r[c].size());
                rows.push_back(std::move(row));
            }
            return rows;
        } catch (const pqxx::foreign_key_violation&) {
            return Status::failed_precondition(std::string(kMissingReference));
        } catch (const pqxx::unique_violation& e) {
            conflict_ = true;
            return Status::internal(std::string("PostgreSQL: ") + e.what());
        } catch (const std::exception& e) {
            return Status::internal(std::string("PostgreSQL: ") + e.what());
        }
    }

    Status script(const std::string& sql) override {
        try {
            pqxx::nontransaction tx(*conn_);
            tx.exec(sql);
            return Status::ok();
        } catch (const std::exception& e) {
            return Status::internal(std::string("PostgreSQL: ") + e.what());
        }
    }

private:
    std::unique_ptr<pqxx::connection> conn_;
    bool conflict_ = false;
    std::unordered_map<std::string, std::string> prepared_;
};

}  // namespace

Result<std::unique_ptr<SqlConnection>> open_postgres(const std::string& uri) {
    try {
        auto c = std::make_unique<pqxx::connection>(uri);
        return std::unique_ptr<SqlConnection>(std::make_unique<PostgresConnection>(std::move(c)));
    } catch (const std::exception& e) {
        return Status::error(fmt::format("cannot connect to PostgreSQL: {} (check the URL, that the server runs and "
                                         "that the database exists)",
                                         e.what()));
    }
}

}  // namespace lampi::cloud::storage
