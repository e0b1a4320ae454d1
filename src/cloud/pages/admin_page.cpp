#include "pages/admin_page.h"

#include <fmt/core.h>

#include <ctime>

#include "admin/user_admin.h"
#include "lampi/utc_time.h"
#include "pages/html.h"

namespace lampi::cloud::pages {
namespace {

std::string csrf_field(std::string_view csrf) {
    return fmt::format(R"(<input type="hidden" name="csrfmiddlewaretoken" value="{}">)", escape_html(csrf));
}

// "2026-11-30 16:40 UTC" in a <time> element; "never" without a time.
std::string when(std::optional<std::int64_t> unix_seconds) {
    if (!unix_seconds) return "never";
    auto t = static_cast<std::time_t>(*unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char shown[32];
    std::strftime(shown, sizeof shown, "%Y-%m-%d %H:%M UTC", &tm);
    return fmt::format("<time datetime=\"{}\">{}</time>", utc_iso8601(*unix_seconds), shown);
}

enum class Section { users, lamps, audit };

// The admin area's own navigation, the page's heading, and what the last action did.
std::string head(const AdminFrame& frame, Section current, std::string_view title) {
    auto link = [current](Section s, const char* href, const char* text) {
        return fmt::format("<a href=\"{}\"{}>{}</a>", href, s == current ? " aria-current=\"page\"" : "", text);
    };
    std::string notes;
    if (!frame.message.empty())
        notes += fmt::format("<p class=\"message\" role=\"status\">{}</p>\n", escape_html(frame.message));
    if (!frame.error.empty())
        notes += fmt::format("<p class=\"error\" role=\"alert\">{}</p>\n", escape_html(frame.error));
    return fmt::format("<nav class=\"admin-nav\" aria-label=\"Admin sections\">{} {} {}</nav>\n<h2>{}</h2>\n{}",
                       link(Section::users, "/operator/admin/users/", "Users"),
                       link(Section::lamps, "/operator/admin/lamps/", "Lamps"),
                       link(Section::audit, "/operator/admin/audit/", "Audit log"), escape_html(title), notes);
}

std::string search_form(const char* action, const char* label, const char* hint, std::string_view query) {
    return fmt::format(
        "<form class=\"admin-search\" method=\"get\" action=\"{}\" role=\"search\">\n"
        "<p><label for=\"id_q\">{}</label> <input type=\"text\" name=\"q\" id=\"id_q\" value=\"{}\" "
        "autocapitalize=\"none\" aria-describedby=\"q-hint\"> <button type=\"submit\">Find</button></p>\n"
        "<p class=\"hint\" id=\"q-hint\">{}</p>\n</form>\n",
        action, label, escape_html(query), hint);
}

std::string plural(std::size_t n, const char* one, const char* many) {
    return fmt::format("{} {}", n, n == 1 ? one : many);
}

// What a search found: how many (saying when the list was cut), then the cards;
// or, with none, `none` (nothing known at all) or `no_match` (for this query).
std::string found(std::size_t count, const std::string& items, const char* one, const char* many,
                  std::string_view query, const char* none, const char* no_match) {
    if (count == 0)
        return query.empty() ? fmt::format("<p class=\"empty\">{}</p>\n", none)
                             : fmt::format("<p class=\"empty\">{} \"{}\".</p>\n", no_match, escape_html(query));
    return fmt::format("<p class=\"count\" role=\"status\">{}{}.</p>\n<ul class=\"admin-list\">\n{}</ul>\n",
                       plural(count, one, many),
                       count >= static_cast<std::size_t>(admin::kListLimit)
                           ? fmt::format(" (the first {}; narrow the search)", admin::kListLimit)
                           : std::string(),
                       items);
}

std::string user_item(const storage::UserSummary& row, const AdminFrame& frame) {
    const storage::User& u = row.user;
    std::string name = escape_html(u.username);
    std::string badges;
    if (u.is_operator) badges += " <span class=\"badge\">operator</span>";
    if (u.disabled()) badges += " <span class=\"badge disabled\">disabled</span>";
    // Nobody disables their own account (nobody would be left to enable it).
    std::string block = u.username == frame.operator_name
                            ? std::string("<p class=\"hint\">This is you.</p>\n")
                            : fmt::format(
                                  "<form method=\"post\" action=\"/operator/admin/users/{action}/\">{csrf}"
                                  "<input type=\"hidden\" name=\"username\" value=\"{name}\">"
                                  "<button type=\"submit\" aria-label=\"{verb} {name}\">{verb}</button></form>\n",
                                  fmt::arg("action", u.disabled() ? "enable" : "disable"),
                                  fmt::arg("csrf", csrf_field(frame.csrf)), fmt::arg("name", name),
                                  fmt::arg("verb", u.disabled() ? "Enable" : "Disable"));
    return fmt::format(
        "<li class=\"admin-item\" data-username=\"{name}\">\n<h3>{name}{badges}</h3>\n"
        "<p class=\"facts\">Joined {joined}. Last login {login}.{disabled} {lamps}.</p>\n"
        "<div class=\"admin-actions\">\n{block}"
        "<form method=\"post\" action=\"/operator/admin/users/reset/\">{csrf}"
        "<input type=\"hidden\" name=\"username\" value=\"{name}\">"
        "<button type=\"submit\" aria-label=\"Make a reset link for {name}\">Make a reset link</button>"
        "</form>\n</div>\n</li>\n",
        fmt::arg("name", name), fmt::arg("badges", badges), fmt::arg("joined", when(u.created_at)),
        fmt::arg("login", when(u.last_login)),
        fmt::arg("disabled", u.disabled() ? " Disabled since " + when(u.disabled_at) + "." : std::string()),
        fmt::arg("lamps", plural(static_cast<std::size_t>(row.lamps), "lamp", "lamps")), fmt::arg("block", block),
        fmt::arg("csrf", csrf_field(frame.csrf)));
}

std::string lamp_item(const storage::Lamp& lamp, const AdminFrame& frame) {
    std::string id = escape_html(lamp.device_id);
    std::string release;
    if (lamp.owner_id)
        release = fmt::format(
            "<form method=\"post\" action=\"/operator/admin/lamps/release/\">{}"
            "<input type=\"hidden\" name=\"device_id\" value=\"{}\">"
            "<button type=\"submit\" aria-label=\"Release lamp {}\">Release</button></form>\n",
            csrf_field(frame.csrf), id, id);
    std::string seen = lamp.online ? "Online now" : "Offline";
    return fmt::format(
        "<li class=\"admin-item\" data-device-id=\"{id}\" data-online=\"{online}\">\n"
        "<h3><code>{id}</code> <span class=\"badge\">{badge}</span></h3>\n"
        "<p class=\"facts\">{name}{owner}. {seen}; last seen {last}.</p>\n"
        "<div class=\"admin-actions\">\n"
        "<form method=\"post\" action=\"/operator/admin/lamps/assign/\">{csrf}"
        "<input type=\"hidden\" name=\"device_id\" value=\"{id}\">"
        "<p><label for=\"assign-{id}\">Give to user</label> <input type=\"text\" name=\"username\" id=\"assign-{id}\" "
        "autocapitalize=\"none\" maxlength=\"150\" required> <button type=\"submit\">Assign</button></p></form>\n"
        "{release}</div>\n</li>\n",
        fmt::arg("id", id), fmt::arg("online", lamp.online ? "true" : "false"),
        fmt::arg("badge", lamp.online ? "online" : "offline"),
        fmt::arg("name", lamp.name.empty() ? std::string() : "Named \"" + escape_html(lamp.name) + "\". "),
        fmt::arg("owner", lamp.owner_id ? "Owned by " + escape_html(lamp.owner_name) : std::string("No owner")),
        fmt::arg("seen", seen), fmt::arg("last", when(lamp.last_seen_at)), fmt::arg("csrf", csrf_field(frame.csrf)),
        fmt::arg("release", release));
}

}  // namespace

std::string admin_users_page(const AdminFrame& frame, std::string_view query,
                             const std::vector<storage::UserSummary>& users) {
    std::string items;
    for (const auto& row : users) items += user_item(row, frame);
    std::string body =
        head(frame, Section::users, "Users") +
        search_form("/operator/admin/users/", "Find users by name",
                    "Part of a username, in any case; leave it empty to list everyone.", query) +
        "<p class=\"hint\">Disabling a user ends their sessions, API tokens and broker connections at "
        "once, and they cannot log in until an operator enables them again. A reset link ends their "
        "current password, sessions and tokens, and lets them choose a new password once.</p>\n" +
        found(users.size(), items, "user", "users", query, "There are no users yet.", "No user's name contains");
    return page("Admin: users", body, frame.operator_name, true);
}

std::string admin_reset_link_page(const AdminFrame& frame, std::string_view username, std::string_view link,
                                  std::int64_t expires_at) {
    std::string body = head(frame, Section::users, "Password reset link") +
                       fmt::format(
                           "<p>Hand this link to <strong>{name}</strong> yourself (it is shown only now). With it "
                           "they choose a new password, once, until {expires}. Their old password, sessions and "
                           "API tokens no longer work.</p>\n"
                           "<p><label for=\"reset-link\">Reset link for {name}</label> <input type=\"text\" "
                           "id=\"reset-link\" class=\"reset-link\" value=\"{link}\" readonly></p>\n"
                           "<p><a href=\"/operator/admin/users/?q={query}\">Back to {name}</a></p>\n",
                           fmt::arg("name", escape_html(username)), fmt::arg("expires", when(expires_at)),
                           fmt::arg("link", escape_html(link)), fmt::arg("query", escape_html(username)));
    return page("Admin: reset link", body, frame.operator_name, true);
}

std::string admin_lamps_page(const AdminFrame& frame, std::string_view query, const std::vector<storage::Lamp>& lamps) {
    std::string items;
    for (const auto& lamp : lamps) items += lamp_item(lamp, frame);
    std::string body =
        head(frame, Section::lamps, "Lamps") +
        search_form("/operator/admin/lamps/", "Find lamps by device id",
                    "The device id or part of it (12 hex digits, as on the lamp's label; colons and "
                    "dashes are ignored); leave it empty to list every lamp.",
                    query) +
        "<p class=\"hint\">Assigning a lamp takes it from its owner, if it has one; releasing it leaves "
        "it without an owner, ready to be claimed with a new code. Its previous owner's broker "
        "connections end at once.</p>\n" +
        found(lamps.size(), items, "lamp", "lamps", query, "No lamp is known yet.", "No lamp's device id contains");
    return page("Admin: lamps", body, frame.operator_name, true);
}

std::string admin_audit_page(const AdminFrame& frame, const std::vector<admin::AuditEntry>& entries) {
    std::string items;
    for (const auto& e : entries)
        items += fmt::format(
            "<li class=\"audit-entry\">{} <strong class=\"actor\">{}</strong> <span class=\"action\">{}</span> "
            "<span class=\"target\">{}</span>{}</li>\n",
            when(e.at), escape_html(e.actor), escape_html(e.action), escape_html(e.target),
            e.detail.empty() ? std::string() : " <span class=\"detail\">(" + escape_html(e.detail) + ")</span>");
    std::string body =
        head(frame, Section::audit, "Audit log") +
        "<p class=\"hint\">Every action taken in the admin area, newest first: when, who, what and on what. Entries "
        "are never changed or deleted here.</p>\n" +
        (entries.empty() ? std::string("<p class=\"empty\">No admin action yet.</p>\n")
                         : "<ol class=\"audit-log\">\n" + items + "</ol>\n");
    return page("Admin: audit log", body, frame.operator_name, true);
}

}  // namespace lampi::cloud::pages
