#include "http/course_user.h"

#include <fmt/core.h>

#include <random>

#include "http/request.h"
#include "mqtt/worker.h"
#include "run/clock.h"

namespace lampi::load::http {
namespace {

constexpr const char* kLoginPath = "/accounts/login/?next=/";
constexpr const char* kIndexPath = "/";

std::string path_only(const std::string& path_and_query) { return path_and_query.substr(0, path_and_query.find('?')); }

}  // namespace

CourseUser::CourseUser(Worker& worker, const Endpoint& endpoint, const CourseSettings& settings, std::string username,
                       RequestStats& stats, UserTimers& timers, std::uint64_t number, std::uint64_t seed)
    : endpoint_(endpoint),
      settings_(settings),
      username_(std::move(username)),
      stats_(stats),
      timers_(timers),
      metrics_(worker.metrics()),
      connection_(worker, endpoint, *this, number),
      random_(seed) {}

void CourseUser::start() { begin(Step::login_page); }

void CourseUser::stop() {
    connection_.close();
    step_ = Step::stopped;
}

void CourseUser::wake(std::int64_t) {
    if (step_ == Step::thinking) begin(Step::index);
}

void CourseUser::begin(Step step) {
    step_ = step;
    redirects_ = 0;
    request_started_ns_ = now_ns();
    metrics_.add(Counter::sent);
    switch (step) {
        case Step::login_page: send("GET", kLoginPath, ""); break;
        case Step::login_post: {
            std::string body = fmt::format("csrfmiddlewaretoken={}&username={}&password={}",
                                           form_encode(cookies_.get("csrftoken")), form_encode(username_),
                                           form_encode(settings_.password));
            send("POST", kLoginPath, body);
            break;
        }
        case Step::index: send("GET", kIndexPath, ""); break;
        default: break;
    }
}

void CourseUser::send(const char* method, const std::string& path, const std::string& body) {
    method_ = method;
    path_ = path;
    // "/" after the login's longer path: back into the string itself, one heap block less per user.
    path_.shrink_to_fit();
    std::string extra;
    // Django checks the Referer over HTTPS; our cloud checks it whenever it is sent.
    if (std::string_view(method) == "POST")
        extra = fmt::format("Referer: {}\r\nContent-Type: application/x-www-form-urlencoded\r\n",
                            full_url(endpoint_.url, path));
    connection_.send(format_request(endpoint_.url, method, path, cookies_, extra, body));
}

void CourseUser::on_response(HttpConnection&, const Response& response) {
    if (step_ == Step::stopped) return;
    metrics_.add(Counter::received);  // every response, redirects included: the progress line's "in"
    for (const auto& [name, value] : response.set_cookies) cookies_.set(name, value);
    NextHop hop = next_hop(endpoint_.url, response, redirects_);
    if (hop.kind == NextHop::Kind::fail) {
        finish(hop.failure, response.body_bytes);
        return;
    }
    if (hop.kind == NextHop::Kind::follow) {
        send(hop.keep_method ? method_ : "GET", hop.path, "");
        return;
    }
    std::string failure;
    if (response.status >= 400) {
        failure = http_error(response, full_url(endpoint_.url, path_));
    } else if (step_ == Step::login_post && path_only(path_) != "/") {
        failure = check_failed(fmt::format("login did not reach / (ended at {})", full_url(endpoint_.url, path_)));
    } else if (step_ == Step::index && path_only(path_) != "/") {
        failure = check_failed(fmt::format("not logged in: redirected to {}", full_url(endpoint_.url, path_)));
    }
    finish(failure, response.body_bytes);
}

void CourseUser::on_failure(HttpConnection&, const std::string& why) {
    if (step_ == Step::stopped) return;
    finish(connection_error(why), 0);
}

void CourseUser::finish(const std::string& failure, std::uint64_t body_bytes) {
    std::int64_t now = now_ns();
    const Step done = step_;
    const char* method = done == Step::login_post ? "POST" : "GET";
    const char* name = done == Step::index ? kIndexPath : kLoginPath;
    stats_.record(method, name, now - request_started_ns_, body_bytes, failure);
    metrics_.record(Latency::primary, now - request_started_ns_);
    metrics_.add(failure.empty() ? Counter::completed : Counter::errors);
    metrics_.activity(now);
    switch (done) {
        case Step::login_page:
            if (!cookies_.get("csrftoken").empty()) {
                begin(Step::login_post);
                return;
            }
            // As the course's user does: without a token it cannot log in, so it goes on unlogged.
            if (failure.empty()) metrics_.error("the login page set no csrftoken cookie, so the user could not log in");
            begin(Step::index);
            return;
        case Step::login_post: begin(Step::index); return;
        case Step::index: {
            step_ = Step::thinking;
            std::uniform_real_distribution<double> wait(settings_.wait_min_s, settings_.wait_max_s);
            timers_.wake_at(*this, now + static_cast<std::int64_t>(wait(random_) * 1e9));
            return;
        }
        default: return;
    }
}

}  // namespace lampi::load::http
