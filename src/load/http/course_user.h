// CourseUser: one simulated web user running the course's flow.
//
//   1. GET /accounts/login/?next=/   (the page sets the csrftoken cookie)
//   2. POST /accounts/login/?next=/  with csrfmiddlewaretoken, username and
//      password, Referer set to the login page, as a browser would
//   3. GET / ; wait between wait_min and wait_max seconds; repeat 3.
//
// Redirects are followed (303/302/301 turn a POST into a GET) and the whole
// chain counts as one request under the name asked for, with the time of the
// whole chain, as Locust's client does. A request fails on a connection error,
// on a status of 400 or more, and, as the course's locustfile checks, when the
// login or the index page does not end on "/" (a wrong password leaves the
// user on the login form; a lost session redirects to it). A failed login does
// not stop the user: it goes on loading "/", which then fails too, as in Locust.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "http/cookie_jar.h"
#include "http/http_connection.h"
#include "http/web_user.h"
#include "run/small_random.h"
#include "stats/metrics.h"
#include "stats/request_stats.h"

namespace lampi::load::http {

// What every user of a run shares (each has only its own user name).
struct CourseSettings {
    std::string password;
    double wait_min_s = 5;
    double wait_max_s = 9;
};

class CourseUser : public WebUser, public HttpHandler {
public:
    // `number` counts the run's users from 0 (it picks the source address);
    // `settings` must outlive the user.
    CourseUser(Worker& worker, const Endpoint& endpoint, const CourseSettings& settings, std::string username,
               RequestStats& stats, UserTimers& timers, std::uint64_t number, std::uint64_t seed);

    void start() override;
    void wake(std::int64_t now) override;
    // Ends the user at once; a request in flight is not counted.
    void stop() override;
    bool stopped() const override { return step_ == Step::stopped; }

    void on_response(HttpConnection& connection, const Response& response) override;
    void on_failure(HttpConnection& connection, const std::string& why) override;

private:
    enum class Step { idle, login_page, login_post, index, thinking, stopped };

    // Starts the named request of `step`.
    void begin(Step step);
    void send(const char* method, const std::string& path, const std::string& body);
    void finish(const std::string& failure, std::uint64_t body_bytes);

    const Endpoint& endpoint_;
    const CourseSettings& settings_;
    std::string username_;
    RequestStats& stats_;
    UserTimers& timers_;
    Metrics& metrics_;
    HttpConnection connection_;
    SmallRandom random_;
    CookieJar cookies_;

    Step step_ = Step::idle;
    const char* method_ = "GET";  // of the request being made (changes along redirects)
    std::string path_;            // of the request being made (changes along redirects)
    int redirects_ = 0;
    std::int64_t request_started_ns_ = 0;
};

}  // namespace lampi::load::http
