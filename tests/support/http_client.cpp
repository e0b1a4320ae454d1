#include "http_client.h"

#include <cctype>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

namespace lampi::testing {
namespace {

using Clock = std::chrono::steady_clock;

bool iequal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

// Written apart from lampi-cloud's percent_encode (src/cloud/http/form.cpp) on
// purpose: the tests' forms must not share the server's code that reads them.
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

// The status line and headers of `head` (without the blank line) into `reply`.
void parse_head(const std::string& head, HttpReply& reply) {
    std::size_t line_end = head.find("\r\n");
    std::string status_line = head.substr(0, line_end);
    if (status_line.size() >= 12) reply.status = std::atoi(status_line.substr(9, 3).c_str());
    std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
        std::size_t next = head.find("\r\n", pos);
        if (next == std::string::npos) next = head.size();
        std::string line = head.substr(pos, next - pos);
        std::size_t colon = line.find(':');
        if (colon != std::string::npos) {
            std::string value = line.substr(colon + 1);
            value.erase(0, value.find_first_not_of(' '));
            reply.headers.emplace_back(line.substr(0, colon), value);
        }
        pos = next + 2;
    }
}

std::optional<std::size_t> content_length(const HttpReply& reply) {
    std::string length = reply.header("Content-Length");
    if (length.empty()) return std::nullopt;
    return static_cast<std::size_t>(std::strtoull(length.c_str(), nullptr, 10));
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

std::string HttpReply::set_cookie(const std::string& name) const {
    for (const std::string& line : headers_named("Set-Cookie")) {
        if (line.rfind(name + "=", 0) != 0) continue;
        std::string value = line.substr(name.size() + 1);
        return value.substr(0, value.find(';'));
    }
    return "";
}

std::string HttpReply::describe() const {
    return status != 0 ? "HTTP " + std::to_string(status) : "no response: " + error;
}

std::string HttpClient::origin() const {
    return std::string(tls_ ? "https://" : "http://") + host_ + ":" + std::to_string(port_);
}

void HttpClient::disconnect() {
    connection_.reset();
    pending_.clear();
}

bool HttpClient::connect(std::string& error) {
    disconnect();
    connection_ = WireConnection::open(port_, tls_, error, std::chrono::seconds(10), host_);
    return connection_ != nullptr;
}

HttpReply HttpClient::read_reply(int timeout_ms) {
    HttpReply reply;
    std::string& buf = pending_;
    auto fill = [&]() -> bool {
        std::string part = connection_->receive(std::chrono::milliseconds(timeout_ms), reply.error);
        buf += part;
        return !part.empty();
    };
    std::size_t end;
    while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
        if (!fill()) {
            reply.closed = true;
            return reply;
        }
    }
    parse_head(buf.substr(0, end), reply);
    buf.erase(0, end + 4);
    std::size_t length = content_length(reply).value_or(0);
    while (buf.size() < length) {
        if (!fill()) break;
    }
    reply.body = buf.substr(0, std::min(length, buf.size()));
    buf.erase(0, reply.body.size());
    if (iequal(reply.header("Connection"), "close")) reply.closed = true;
    return reply;
}

HttpReply HttpClient::request(const std::string& method, const std::string& target, const HttpHeaders& headers,
                              const std::string& body) {
    std::string text = method + " " + target + " HTTP/1.1\r\nHost: " + host_ + ":" + std::to_string(port_) + "\r\n";
    for (const auto& [n, v] : headers) text.append(n).append(": ").append(v).append("\r\n");
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")
        text += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    text += "\r\n" + body;
    HttpReply failed;
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (!connection_ && !connect(failed.error)) return failed;
        if (connection_->send(text, failed.error)) {
            HttpReply reply = read_reply(10000);
            if (reply.status != 0) {
                if (reply.closed) disconnect();
                return reply;
            }
            failed.error = reply.error;
        }
        disconnect();  // a kept-alive connection the server closed: retry once
    }
    return failed;
}

HttpReply HttpClient::raw(const std::string& bytes, int timeout_ms) {
    HttpReply failed;
    if (!connect(failed.error)) return failed;
    std::string ignored;
    connection_->send(bytes, ignored);
    HttpReply reply = read_reply(timeout_ms);
    disconnect();
    return reply;
}

bool HttpClient::send_raw(const std::string& bytes) {
    std::string error;
    if (!connection_ && !connect(error)) return false;
    return connection_->send(bytes, error);
}

HttpReply HttpClient::receive(int timeout_ms) {
    if (connection_) return read_reply(timeout_ms);
    HttpReply nothing;
    nothing.error = "not connected";
    return nothing;
}

std::string form_encode(const HttpHeaders& fields) {
    std::string out;
    for (const auto& [n, v] : fields) {
        if (!out.empty()) out += '&';
        out += url_encode(n) + "=" + url_encode(v);
    }
    return out;
}

BrowserSession BrowserSession::at(const std::string& base_url, const std::string& ca_file) {
    const std::string prefix = "https://127.0.0.1:";
    if (base_url.rfind(prefix, 0) != 0) throw std::invalid_argument("not an HTTPS loopback URL: " + base_url);
    return BrowserSession(std::atoi(base_url.c_str() + prefix.size()), TlsIdentity{ca_file, "", ""});
}

std::string BrowserSession::cookie(const std::string& name) const {
    auto it = cookies_.find(name);
    return it == cookies_.end() ? std::string() : it->second;
}

std::string BrowserSession::cookie_header() const {
    std::string out;
    for (const auto& [n, v] : cookies_) out.append(out.empty() ? "" : "; ").append(n).append("=").append(v);
    return out;
}

void BrowserSession::remember(const HttpReply& reply) {
    for (const std::string& set : reply.headers_named("Set-Cookie")) {
        std::string pair = set.substr(0, set.find(';'));
        std::size_t eq = pair.find('=');
        if (eq == std::string::npos) continue;
        std::string name = pair.substr(0, eq), value = pair.substr(eq + 1);
        if (set.find("Max-Age=0") != std::string::npos || value.empty()) cookies_.erase(name);
        else cookies_[name] = value;
    }
}

HttpReply BrowserSession::send(const std::string& method, const std::string& target, const std::string& body,
                               HttpHeaders headers) {
    if (!cookies_.empty()) headers.emplace_back("Cookie", cookie_header());
    HttpReply reply = client_.request(method, target, headers, body);
    remember(reply);
    return reply;
}

HttpReply BrowserSession::send_json(const std::string& method, const std::string& target, const std::string& body) {
    return send(method, target, body,
                {{"Content-Type", "application/json"},
                 {"X-CSRFToken", cookie("csrftoken")},
                 {"Origin", client_.origin()}});
}

HttpReply BrowserSession::get(const std::string& target, HttpHeaders headers) {
    return send("GET", target, "", std::move(headers));
}

HttpReply BrowserSession::post_form(const std::string& target, const HttpHeaders& fields, HttpHeaders headers) {
    headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    return send("POST", target, form_encode(fields), std::move(headers));
}

bool BrowserSession::login(const std::string& username, const std::string& password, const std::string& next) {
    get("/accounts/login/?next=" + next);
    HttpHeaders headers;
    // Over HTTPS lampi-cloud wants to see where a form came from, as browsers say.
    if (client_.origin().rfind("https:", 0) == 0)
        headers.emplace_back("Referer", client_.origin() + "/accounts/login/");
    HttpReply reply =
        post_form("/accounts/login/?next=" + next,
                  {{"csrfmiddlewaretoken", cookie("csrftoken")}, {"username", username}, {"password", password}},
                  std::move(headers));
    return reply.status == 302;
}

HttpReply BrowserSession::sign_up(const std::string& username, const std::string& password1,
                                  const std::string& password2, HttpHeaders headers) {
    return post_form("/accounts/signup/",
                     {{"csrfmiddlewaretoken", cookie("csrftoken")},
                      {"username", username},
                      {"password1", password1},
                      {"password2", password2}},
                     std::move(headers));
}

HttpReply BrowserSession::change_password(const std::string& old_password, const std::string& new_password) {
    return post_form("/accounts/password_change/", {{"csrfmiddlewaretoken", cookie("csrftoken")},
                                                    {"old_password", old_password},
                                                    {"new_password1", new_password},
                                                    {"new_password2", new_password}});
}

HttpReply http_exchange(int port, const std::optional<TlsIdentity>& tls, const std::string& raw,
                        std::chrono::milliseconds timeout) {
    HttpReply answer;
    auto start = Clock::now();
    auto deadline = start + timeout;
    std::string error;
    auto connection = WireConnection::open(port, tls, error, timeout);
    answer.connecting = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    if (!connection) {
        answer.error = error;
        return answer;
    }
    // Written in pieces, watching for an early answer between them, as browsers
    // do: a request refused half-way (a header or body over the limit) stops
    // there, so the server is not left with unread bytes, which the kernel
    // would answer with a reset that can overtake the refusal.
    std::string send_error;
    std::string data;
    constexpr std::size_t kPiece = 4096;
    for (std::size_t at = 0; at < raw.size(); at += kPiece) {
        if (!connection->send(std::string_view(raw).substr(at, kPiece), send_error)) break;
        if (raw.size() <= kPiece) break;
        std::string early_error;
        std::string early = connection->receive(std::chrono::milliseconds(2), early_error);
        if (!early.empty() || early_error != "timed out") {
            data += early;
            break;
        }
    }
    std::size_t header_end = std::string::npos;
    std::optional<std::size_t> length;
    while (time_left(deadline).count() > 0) {
        if (header_end == std::string::npos) {
            header_end = data.find("\r\n\r\n");
            if (header_end != std::string::npos) {
                parse_head(data.substr(0, header_end), answer);
                length = content_length(answer);
            }
        }
        if (header_end != std::string::npos && length && data.size() >= header_end + 4 + *length) break;
        std::string part = connection->receive(time_left(deadline), error);
        if (part.empty()) break;
        data += part;
    }
    if (header_end != std::string::npos) {
        answer.body = data.substr(header_end + 4);
    } else {
        answer.status = 0;
        answer.error = error.empty() ? "incomplete response" : error;
        if (!send_error.empty()) answer.error += " (" + send_error + ")";
    }
    answer.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    return answer;
}

std::string http_request(const std::string& method, const std::string& target, int port,
                         const std::vector<std::string>& headers, const std::string& body) {
    std::string out =
        method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\nConnection: close\r\n";
    for (const std::string& h : headers) out += h + "\r\n";
    if (!body.empty() || method == "POST") out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    return out + "\r\n" + body;
}

}  // namespace lampi::testing
