// WebUser: one simulated web user as the web-users driver sees it, whatever
// its flow (the course's built-in one, a Lua scenario). Called on its
// worker's thread only.
#pragma once

#include <cstdint>

namespace lampi::load::http {

class WebUser {
public:
    virtual ~WebUser() = default;
    virtual void start() = 0;
    // A timer the user asked for (UserTimers::wake_at) is due; stale ones may come too.
    virtual void wake(std::int64_t now) = 0;
    // Ends the user's tasks; a request in flight is not counted. The user may
    // still have a last step to run (Locust's on_stop) until stopped().
    virtual void stop() = 0;
    virtual bool stopped() const = 0;
    // Once stopped() while the run goes on (fewer users wanted): closes what the
    // user still holds open, such as the kept-alive connection its on_stop used.
    virtual void release() {}
};

// Who runs the users' timers (their worker's driver).
class UserTimers {
public:
    virtual ~UserTimers() = default;
    // Calls user.wake(now) once the monotonic time `at_ns` has come.
    virtual void wake_at(WebUser& user, std::int64_t at_ns) = 0;
};

}  // namespace lampi::load::http
