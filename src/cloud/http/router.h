// A small router: method + path pattern -> handler.
//
// Patterns are literal segments and "{name}" captures of one whole segment
// ("/api/v1/lamps/{id}/state"). A path that matches no pattern answers 404; one
// that matches a pattern registered only for other methods answers 405 with an
// Allow header. Routes are added before serving starts; dispatch is then
// read-only and safe from any thread.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace lampi::cloud::http {

class Params {
public:
    void add(std::string name, std::string value) { items_.push_back({std::move(name), std::move(value)}); }
    // The captured segment, or empty if the pattern has no such capture.
    std::string_view get(std::string_view name) const;

private:
    std::vector<Header> items_;
};

using Handler = std::function<Response(const Request&, const Params&)>;

class Router {
public:
    void add(std::string method, std::string pattern, Handler handler);
    // Routes every path under `prefix` (which ends in '/') to `handler`; the rest
    // of the path is captured as "rest".
    void add_prefix(std::string method, std::string prefix, Handler handler);

    // `matched` (when given) is set to the index of the route that answered, in
    // the order routes were added, or to size() when none did (404, 405).
    Response dispatch(const Request& request, std::size_t* matched = nullptr) const;

    std::size_t size() const { return routes_.size(); }
    const std::string& method_of(std::size_t route) const { return routes_[route].method; }
    // The pattern as added ("/api/v1/lamps/{id}/state"); a prefix route reads "<prefix>*".
    const std::string& pattern_of(std::size_t route) const { return routes_[route].pattern; }

private:
    struct Route {
        std::string method;
        std::string pattern;
        std::vector<std::string> segments;  // "{x}" captures
        std::string prefix;                 // non-empty for prefix routes
        Handler handler;
    };
    // `parts` is the path split once at '/' for every route tried.
    static bool match(const Route& route, std::string_view path, const std::vector<std::string_view>& parts,
                      Params& params);

    std::vector<Route> routes_;
};

}  // namespace lampi::cloud::http
