#include <fmt/core.h>

#include "pages/html.h"
#include "pages/pages.h"

namespace lampi::cloud::pages {
namespace {

struct Panel {
    const char* name;
    const char* title;
    const char* about;
};

// What each panel shows and how it is counted, said on the page so nobody has to
// guess (src/cloud/README.md, "The operator's dashboard", says the same).
constexpr Panel kPanels[] = {
    {"sign-ups", "Sign-ups per day", "Accounts made on the sign-up page, per day."},
    {"active", "Daily active users and lamps",
     "Users who logged in with their password that day, and lamps that changed (on, off, colour) that day."},
    {"referrers", "Top referrers", "Sign-ups of the last 30 days by the ?ref= of their sign-up link."},
    {"sources", "Lamp changes by source",
     "Changes of any lamp per day, by who made them: the lamp's screen, Bluetooth, Home Assistant, the web "
     "page, the API, schedules."},
    {"online", "Lamps online per day",
     "Lamps that were online at some moment of the day: online when the day began, or coming online during it "
     "(from the lamps' online and offline events of the last 90 days)."},
    {"retention", "Users with no login in 14 days",
     "Users who signed up or logged in before, but neither signed up nor logged in with their password in the "
     "last 14 days."},
};

}  // namespace

std::string dashboard_page(std::string_view username) {
    std::string panels;
    for (const Panel& p : kPanels)
        panels += fmt::format(
            "<section class=\"panel\" data-panel=\"{0}\" aria-labelledby=\"{0}-title\">\n"
            "<h3 id=\"{0}-title\">{1}</h3>\n<p class=\"hint\">{2}</p>\n"
            "<p class=\"panel-status\" role=\"status\">Loading…</p>\n</section>\n",
            p.name, p.title, p.about);
    std::string body = fmt::format(
        "<link rel=\"stylesheet\" href=\"/static/uPlot.min.css\">\n"
        "<div class=\"page-head\"><h2>Analytics</h2></div>\n"
        "<p class=\"hint\">The last 30 days, in UTC days, from the platform's own analytics events. Each chart has "
        "its figures in a table below it.</p>\n"
        "<div id=\"dashboard\" data-queries=\"/operator/analytics/queries/\">\n{}</div>\n"
        "<script src=\"/static/uPlot.iife.min.js\" defer></script>\n"
        "<script src=\"/static/dashboard.js\" defer></script>\n",
        panels);
    return page("Analytics", body, username, true);
}

}  // namespace lampi::cloud::pages
