// EventSink: where the platform sends its own analytics events (sign_ups,
// logins, lamp_changes, ...). The EventQueue in production (event_queue.h);
// a recorder in tests. record() must never block the caller.
#pragma once

#include <string>
#include <string_view>

namespace lampi::cloud::analytics {

class Properties;  // event.h: builds the JSON a sink takes

class EventSink {
public:
    virtual ~EventSink() = default;
    // `properties` is a JSON object (see Properties in event.h).
    virtual void record(std::string_view collection, std::string properties) = 0;
};

}  // namespace lampi::cloud::analytics
