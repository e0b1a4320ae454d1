// Test support: a tiny blocking HTTP/1.1 client over a raw loopback socket, and
// a browser-like session with a cookie jar on top.
//
// Deliberately independent of Beast, so the tests check the server from the
// outside. Responses must carry Content-Length (the server always sends it).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace lampi::cloud::testing {

struct HttpReply {
    int status = 0;  // 0: no (parsable) answer
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    bool closed = false;  // the server closed the connection after this reply

    std::string header(const std::string& name) const;  // first match, any case
    std::vector<std::string> headers_named(const std::string& name) const;
};

class HttpClient {
public:
    // `host`: an IPv4 address of this machine (loopback unless a test needs
    // the server to see another peer address).
    explicit HttpClient(int port, std::string host = "127.0.0.1") : port_(port), host_(std::move(host)) {}
    ~HttpClient();

    // Sends one request on the kept-alive connection (reconnecting if needed).
    HttpReply request(const std::string& method, const std::string& target,
                      const std::vector<std::pair<std::string, std::string>>& headers = {},
                      const std::string& body = {});
    // Sends raw bytes on a fresh connection and reads one reply (or EOF).
    HttpReply raw(const std::string& bytes, int timeout_ms = 5000);
    void disconnect();

private:
    bool connect();
    HttpReply read_reply(int timeout_ms);

    int port_;
    std::string host_;
    int fd_ = -1;
    std::string pending_;
};

// A raw connection to 127.0.0.1:port (a file descriptor, or -1), for clients
// that misbehave on purpose.
int open_socket(int port);

// Keeps cookies like a browser (name -> value; Max-Age=0 deletes).
class BrowserSession {
public:
    explicit BrowserSession(int port) : client_(port) {}

    HttpReply get(const std::string& target, std::vector<std::pair<std::string, std::string>> headers = {});
    HttpReply post_form(const std::string& target, const std::vector<std::pair<std::string, std::string>>& fields,
                        std::vector<std::pair<std::string, std::string>> headers = {});
    HttpReply send(const std::string& method, const std::string& target, const std::string& body,
                   std::vector<std::pair<std::string, std::string>> headers = {});

    std::string cookie(const std::string& name) const;
    void set_cookie(const std::string& name, const std::string& value) { cookies_[name] = value; }
    void forget_cookie(const std::string& name) { cookies_.erase(name); }
    // GET the login page, POST the credentials; true when it answered 302.
    bool login(const std::string& username, const std::string& password, const std::string& next = "/");
    HttpClient& client() { return client_; }

private:
    void remember(const HttpReply& reply);
    std::string cookie_header() const;

    HttpClient client_;
    std::map<std::string, std::string> cookies_;
};

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace lampi::cloud::testing
