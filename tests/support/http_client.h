// Test support: the one HTTP/1.1 client of the tests and benches, over the raw
// connection of connection.h (plain TCP or TLS), so tests check a server from
// the outside and can send what a well-behaved client never would.
//   - HttpClient: requests on one kept-alive connection, or raw bytes;
//   - BrowserSession: a cookie jar and the login form on top, as a browser;
//   - http_exchange: one request written on a fresh connection, read to the end,
//     for the attacks (it says what happened when there was no answer).
// Responses must carry Content-Length (lampi-cloud always sends it).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "connection.h"

namespace lampi::testing {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpReply {
    int status = 0;  // 0: no (parsable) answer; `error` says why
    HttpHeaders headers;
    std::string body;
    bool closed = false;  // the server closed the connection after this reply
    std::string error;
    std::chrono::milliseconds elapsed{0};
    // Of `elapsed`, the TCP connect and TLS handshake (http_exchange only).
    std::chrono::milliseconds connecting{0};

    std::string header(const std::string& name) const;  // first match, any case
    std::vector<std::string> headers_named(const std::string& name) const;
    // The value of cookie `name` in the Set-Cookie headers, "" if not set.
    std::string set_cookie(const std::string& name) const;
    std::string describe() const;  // "HTTP 404" or "no response: <error>"
};

class HttpClient {
public:
    // `host`: an IPv4 address of this machine (loopback unless a test needs
    // the server to see another peer address). `tls` set: HTTPS.
    explicit HttpClient(int port, std::string host = "127.0.0.1", std::optional<TlsIdentity> tls = std::nullopt)
        : port_(port), host_(std::move(host)), tls_(std::move(tls)) {}

    // Sends one request on the kept-alive connection (reconnecting if needed).
    HttpReply request(const std::string& method, const std::string& target, const HttpHeaders& headers = {},
                      const std::string& body = {});
    // Sends raw bytes on a fresh connection and reads one reply (or EOF).
    HttpReply raw(const std::string& bytes, int timeout_ms = 5000);
    // Raw bytes on the kept-alive connection (a request in pieces, or several
    // at once), and the next reply on it.
    bool send_raw(const std::string& bytes);
    HttpReply receive(int timeout_ms = 5000);
    void disconnect();

    int port() const { return port_; }
    // "http://127.0.0.1:port" or "https://...", as a browser's Origin.
    std::string origin() const;

private:
    bool connect(std::string& error);
    HttpReply read_reply(int timeout_ms);

    int port_;
    std::string host_;
    std::optional<TlsIdentity> tls_;
    std::unique_ptr<WireConnection> connection_;
    std::string pending_;
};

// Keeps cookies like a browser (name -> value; Max-Age=0 deletes).
class BrowserSession {
public:
    explicit BrowserSession(int port, std::optional<TlsIdentity> tls = std::nullopt)
        : client_(port, "127.0.0.1", std::move(tls)) {}
    // A session with the site at `base_url` ("https://127.0.0.1:8443"), its
    // server certificate checked against `ca_file`.
    static BrowserSession at(const std::string& base_url, const std::string& ca_file);

    HttpReply get(const std::string& target, HttpHeaders headers = {});
    HttpReply post_form(const std::string& target, const HttpHeaders& fields, HttpHeaders headers = {});
    HttpReply send(const std::string& method, const std::string& target, const std::string& body,
                   HttpHeaders headers = {});
    // A JSON write as the control page sends it: CSRF token and Origin.
    HttpReply send_json(const std::string& method, const std::string& target, const std::string& body = {});

    std::string cookie(const std::string& name) const;
    void set_cookie(const std::string& name, const std::string& value) { cookies_[name] = value; }
    void forget_cookie(const std::string& name) { cookies_.erase(name); }
    // GET the login page, POST the credentials (with a Referer over HTTPS, as
    // a browser sends); true when it answered 302.
    bool login(const std::string& username, const std::string& password, const std::string& next = "/");
    // POSTs the sign-up form with this session's CSRF token (GET the form first
    // for one); `headers` are what a browser adds, such as a Referer over HTTPS.
    HttpReply sign_up(const std::string& username, const std::string& password1, const std::string& password2,
                      HttpHeaders headers = {});
    // POSTs the password change form with this session's CSRF token, the new password typed twice.
    HttpReply change_password(const std::string& old_password, const std::string& new_password);
    HttpClient& client() { return client_; }

private:
    void remember(const HttpReply& reply);
    std::string cookie_header() const;

    HttpClient client_;
    std::map<std::string, std::string> cookies_;
};

std::string form_encode(const HttpHeaders& fields);

// Sends `raw` (a complete request, ideally with `Connection: close`) over one
// fresh connection to 127.0.0.1:port and reads the answer to the end.
HttpReply http_exchange(int port, const std::optional<TlsIdentity>& tls, const std::string& raw,
                        std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Builds a request. `headers` are full lines without CRLF.
std::string http_request(const std::string& method, const std::string& target, int port,
                         const std::vector<std::string>& headers = {}, const std::string& body = "");

}  // namespace lampi::testing
