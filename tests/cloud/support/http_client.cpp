#include "http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace lampi::cloud::testing {
namespace {

bool iequal(const std::string& a, const std::string& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

std::string url_encode(const std::string& s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
    return out;
}

}  // namespace

std::string HttpReply::header(const std::string& name) const {
    for (const auto& [n, v] : headers)
        if (iequal(n, name)) return v;
    return {};
}

std::vector<std::string> HttpReply::headers_named(const std::string& name) const {
    std::vector<std::string> out;
    for (const auto& [n, v] : headers)
        if (iequal(n, name)) out.push_back(v);
    return out;
}

int open_socket(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        if (fd >= 0) ::close(fd);
        return -1;
    }
    return fd;
}

HttpClient::~HttpClient() { disconnect(); }

void HttpClient::disconnect() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    pending_.clear();
}

bool HttpClient::connect() {
    disconnect();
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    if (::inet_pton(AF_INET, host_.c_str(), &addr.sin_addr) != 1) {
        disconnect();
        return false;
    }
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        disconnect();
        return false;
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return true;
}

HttpReply HttpClient::read_reply(int timeout_ms) {
    HttpReply reply;
    std::string& buf = pending_;
    auto fill = [&]() -> bool {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, timeout_ms) <= 0) return false;
        char chunk[16384];
        ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n <= 0) return false;
        buf.append(chunk, static_cast<std::size_t>(n));
        return true;
    };
    std::size_t end;
    while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
        if (!fill()) {
            reply.closed = true;
            return reply;
        }
    }
    std::string head = buf.substr(0, end);
    buf.erase(0, end + 4);
    std::size_t line_end = head.find("\r\n");
    std::string status_line = head.substr(0, line_end);
    if (status_line.size() >= 12) reply.status = std::atoi(status_line.c_str() + 9);
    std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
        std::size_t next = head.find("\r\n", pos);
        if (next == std::string::npos) next = head.size();
        std::string line = head.substr(pos, next - pos);
        std::size_t colon = line.find(':');
        if (colon != std::string::npos) {
            std::string value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ') value.erase(0, 1);
            reply.headers.emplace_back(line.substr(0, colon), value);
        }
        pos = next + 2;
    }
    std::size_t length = static_cast<std::size_t>(std::atol(reply.header("Content-Length").c_str()));
    while (buf.size() < length) {
        if (!fill()) break;
    }
    reply.body = buf.substr(0, std::min(length, buf.size()));
    buf.erase(0, reply.body.size());
    if (iequal(reply.header("Connection"), "close")) reply.closed = true;
    return reply;
}

HttpReply HttpClient::request(const std::string& method, const std::string& target,
                              const std::vector<std::pair<std::string, std::string>>& headers,
                              const std::string& body) {
    std::string text = method + " " + target + " HTTP/1.1\r\nHost: " + host_ + ":" + std::to_string(port_) + "\r\n";
    for (const auto& [n, v] : headers) text += n + ": " + v + "\r\n";
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")
        text += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    text += "\r\n" + body;
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (fd_ < 0 && !connect()) return {};
        if (::send(fd_, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size())) {
            HttpReply reply = read_reply(10000);
            if (reply.status != 0) {
                if (reply.closed) disconnect();
                return reply;
            }
        }
        disconnect();  // a kept-alive connection the server closed: retry once
    }
    return {};
}

HttpReply HttpClient::raw(const std::string& bytes, int timeout_ms) {
    if (!connect()) return {};
    ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    HttpReply reply = read_reply(timeout_ms);
    disconnect();
    return reply;
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
    std::string out;
    for (const auto& [n, v] : fields) {
        if (!out.empty()) out += '&';
        out += url_encode(n) + "=" + url_encode(v);
    }
    return out;
}

std::string BrowserSession::cookie(const std::string& name) const {
    auto it = cookies_.find(name);
    return it == cookies_.end() ? std::string() : it->second;
}

std::string BrowserSession::cookie_header() const {
    std::string out;
    for (const auto& [n, v] : cookies_) out += (out.empty() ? "" : "; ") + n + "=" + v;
    return out;
}

void BrowserSession::remember(const HttpReply& reply) {
    for (const std::string& set : reply.headers_named("Set-Cookie")) {
        std::string pair = set.substr(0, set.find(';'));
        std::size_t eq = pair.find('=');
        if (eq == std::string::npos) continue;
        std::string name = pair.substr(0, eq), value = pair.substr(eq + 1);
        if (set.find("Max-Age=0") != std::string::npos || value.empty())
            cookies_.erase(name);
        else
            cookies_[name] = value;
    }
}

HttpReply BrowserSession::send(const std::string& method, const std::string& target, const std::string& body,
                               std::vector<std::pair<std::string, std::string>> headers) {
    if (!cookies_.empty()) headers.emplace_back("Cookie", cookie_header());
    HttpReply reply = client_.request(method, target, headers, body);
    remember(reply);
    return reply;
}

HttpReply BrowserSession::get(const std::string& target, std::vector<std::pair<std::string, std::string>> headers) {
    return send("GET", target, "", std::move(headers));
}

HttpReply BrowserSession::post_form(const std::string& target,
                                    const std::vector<std::pair<std::string, std::string>>& fields,
                                    std::vector<std::pair<std::string, std::string>> headers) {
    headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    return send("POST", target, form_encode(fields), std::move(headers));
}

bool BrowserSession::login(const std::string& username, const std::string& password, const std::string& next) {
    get("/accounts/login/?next=" + next);
    HttpReply reply = post_form("/accounts/login/?next=" + next, {{"csrfmiddlewaretoken", cookie("csrftoken")},
                                                                  {"username", username},
                                                                  {"password", password}});
    return reply.status == 302;
}

}  // namespace lampi::cloud::testing
