// HttpCourseScenario: web users running the course's flow
// (http/course_user.h) against lampi-cloud or the Django site.
#pragma once

#include "scenario/http_users.h"

namespace lampi::load {

class HttpCourseScenario : public HttpUsersScenario {
public:
    explicit HttpCourseScenario(HttpOptions options);
};

}  // namespace lampi::load
