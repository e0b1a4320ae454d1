// ResponseParser: one HTTP/1.1 response from bytes, without I/O.
//
// Feed it what the socket delivered; it consumes what it can and says whether
// the response is complete, needs more, or is malformed. Only what a load test
// looks at is kept: status, keep-alive, Location, the Set-Cookie name/value
// pairs and the body's size; the body itself and the other headers only when
// asked (a scenario that checks what it got), else counted, not stored. Contract:
// never throws, never trusts its input, bounds the header (64 KiB) and the body
// (64 MiB). Boost.Beast's parser does the parsing, compiled in this one file.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lampi::load::http {

struct Response {
    int status = 0;
    std::string reason;  // the status line's words ("Forbidden")
    bool keep_alive = false;
    std::string location;
    std::vector<std::pair<std::string, std::string>> set_cookies;  // name, value
    std::uint64_t body_bytes = 0;
    // Only with keep_body: every header (names in lower case) and the body.
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

class ResponseParser {
public:
    enum class State { need_more, complete, malformed };

    // `head_request`: the response to a HEAD has headers only. `keep_body`:
    // keep the body and all headers in the Response.
    explicit ResponseParser(bool head_request = false, bool keep_body = false);
    ~ResponseParser();
    ResponseParser(const ResponseParser&) = delete;
    ResponseParser& operator=(const ResponseParser&) = delete;

    // Consumes what it can of `data` now and returns how much. While the state is
    // need_more, the bytes not consumed must be offered again, with more bytes
    // appended, once more arrive; never again without new bytes (an unfinished
    // header or chunk line is parsed as a whole). Bytes after a complete
    // response are not consumed.
    std::size_t feed(std::string_view data);
    // The connection ended: completes a response whose body runs to the close.
    void end_of_stream();

    State state() const { return state_; }
    const std::string& error() const { return error_; }
    const Response& response() const { return response_; }

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
    State state_ = State::need_more;
    std::string error_;
    Response response_;
};

}  // namespace lampi::load::http
