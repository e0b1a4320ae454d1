#include "scenario/http_course.h"

#include "http/course_user.h"

namespace lampi::load {
namespace {

std::string replace_all(std::string text, std::string_view what, const std::string& with) {
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + with.size()))
        text.replace(at, what.size(), with);
    return text;
}

class CourseFactory : public UserFactory {
public:
    explicit CourseFactory(const HttpOptions& options)
        : options_(options), settings_{options.password, options.wait_min_s, options.wait_max_s} {}

    std::unique_ptr<http::WebUser> make(Worker& worker, const http::Endpoint& endpoint, RequestStats& stats,
                                        http::UserTimers& timers, std::uint64_t number, std::uint64_t seed) override {
        std::uint64_t account = options_.accounts > 0 ? number % options_.accounts : number;
        return std::make_unique<http::CourseUser>(worker, endpoint, settings_,
                                                  replace_all(options_.username, "{n}", std::to_string(account)), stats,
                                                  timers, number, seed);
    }

private:
    const HttpOptions& options_;
    http::CourseSettings settings_;
};

class CourseKind : public UserKind {
public:
    std::string describe() const override { return "course flow"; }
    std::unique_ptr<UserFactory> factory(const HttpOptions& options, int) override {
        return std::make_unique<CourseFactory>(options);
    }
};

}  // namespace

HttpCourseScenario::HttpCourseScenario(HttpOptions options)
    : HttpUsersScenario(std::move(options), std::make_unique<CourseKind>()) {}

}  // namespace lampi::load
