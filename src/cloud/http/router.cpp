#include "http/router.h"

#include <fmt/core.h>

namespace lampi::cloud::http {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> out;
    if (!path.empty() && path.front() == '/') path.remove_prefix(1);
    while (true) {
        std::size_t slash = path.find('/');
        out.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) return out;
        path.remove_prefix(slash + 1);
    }
}

}  // namespace

std::string_view Params::get(std::string_view name) const {
    for (const Header& h : items_)
        if (h.name == name) return h.value;
    return {};
}

void Router::add(std::string method, std::string pattern, Handler handler) {
    Route route{std::move(method), pattern, {}, {}, std::move(handler)};
    for (std::string_view s : split_path(pattern)) route.segments.emplace_back(s);
    routes_.push_back(std::move(route));
}

void Router::add_prefix(std::string method, std::string prefix, Handler handler) {
    std::string pattern = prefix + "*";
    routes_.push_back(Route{std::move(method), std::move(pattern), {}, std::move(prefix), std::move(handler)});
}

bool Router::match(const Route& route, std::string_view path, const std::vector<std::string_view>& parts,
                   Params& params) {
    if (!route.prefix.empty()) {
        if (path.substr(0, route.prefix.size()) != route.prefix) return false;
        params.add("rest", std::string(path.substr(route.prefix.size())));
        return true;
    }
    if (parts.size() != route.segments.size()) return false;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const std::string& seg = route.segments[i];
        if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}') {
            if (parts[i].empty()) return false;
            params.add(seg.substr(1, seg.size() - 2), std::string(parts[i]));
        } else if (seg != parts[i]) {
            return false;
        }
    }
    return true;
}

Response Router::dispatch(const Request& request, std::size_t* matched) const {
    if (matched) *matched = routes_.size();
    std::string allow;
    const auto parts = split_path(request.path);
    for (std::size_t i = 0; i < routes_.size(); ++i) {
        const Route& route = routes_[i];
        Params params;
        if (!match(route, request.path, parts, params)) continue;
        if (route.method == request.method) {
            if (matched) *matched = i;
            return route.handler(request, params);
        }
        if (allow.find(route.method) == std::string::npos) allow += (allow.empty() ? "" : ", ") + route.method;
    }
    if (!allow.empty()) {
        Response r = text(405, fmt::format("{} is not allowed on {}; use {}\n", request.method, request.path, allow));
        r.set("Allow", allow);
        return r;
    }
    return text(404, fmt::format("nothing at {}\n", request.path));
}

}  // namespace lampi::cloud::http
