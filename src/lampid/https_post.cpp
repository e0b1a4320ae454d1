#include "https_post.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/core.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <charconv>
#include <memory>

#include "lampi/errno_text.h"

namespace lampi::lampid {
namespace {

constexpr std::size_t kMaxAnswer = 1024 * 1024;

struct SslCtxFree {
    void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
};
struct SslFree {
    void operator()(SSL* p) const { SSL_free(p); }
};

class Socket {
public:
    explicit Socket(int fd) : fd_(fd) {}
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    ~Socket() {
        if (fd_ >= 0) ::close(fd_);
    }
    int fd() const { return fd_; }

private:
    int fd_;
};

std::string openssl_reasons() {
    std::string out;
    while (unsigned long e = ERR_get_error()) {
        char text[256];
        ERR_error_string_n(e, text, sizeof text);
        out += (out.empty() ? "" : "; ") + std::string(text);
    }
    return out.empty() ? "no reason given" : out;
}

bool is_ip_address(const std::string& host) {
    unsigned char bytes[16];
    return ::inet_pton(AF_INET, host.c_str(), bytes) == 1 || ::inet_pton(AF_INET6, host.c_str(), bytes) == 1;
}

using SteadyClock = std::chrono::steady_clock;

int ms_until(SteadyClock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()).count();
    return left > 0 ? static_cast<int>(left) : 0;
}

// A connected, non-blocking socket, or why there is none.
Result<std::unique_ptr<Socket>> connect_to(const HttpsUrl& url, SteadyClock::time_point deadline) {
    std::string where = fmt::format("{}:{}", url.host, url.port);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (int e = ::getaddrinfo(url.host.c_str(), url.port.c_str(), &hints, &found); e != 0) {
        return Status::unavailable(fmt::format("cannot reach the cloud at {}: {}", where, ::gai_strerror(e)));
    }
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, ::freeaddrinfo);
    std::string why = "no address";
    for (addrinfo* a = found; a; a = a->ai_next) {
        auto socket = std::make_unique<Socket>(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
        if (socket->fd() < 0) {
            why = errno_text();
            continue;
        }
        ::fcntl(socket->fd(), F_SETFL, ::fcntl(socket->fd(), F_GETFL) | O_NONBLOCK);
        if (::connect(socket->fd(), a->ai_addr, a->ai_addrlen) != 0) {
            if (errno != EINPROGRESS) {
                why = errno_text();
                continue;
            }
            pollfd p{socket->fd(), POLLOUT, 0};
            int ready = ::poll(&p, 1, ms_until(deadline));
            int error = 0;
            socklen_t length = sizeof error;
            if (ready == 0) {
                why = "no answer in time";
                continue;
            }
            if (ready < 0 || ::getsockopt(socket->fd(), SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0) {
                why = errno_text(ready < 0 ? errno : error);
                continue;
            }
        }
        return socket;
    }
    return Status::unavailable(fmt::format("cannot reach the cloud at {}: {}", where, why));
}

// One TLS step (handshake, write, read) on the non-blocking socket, waiting for
// what OpenSSL asks for until the exchange's deadline: the whole exchange has one
// time limit, so a cloud that answers a byte at a time cannot hold a lamp for
// longer than that. Returns the step's result; `late` says the deadline passed.
template <typename Step>
int step_until(SSL* ssl, int fd, SteadyClock::time_point deadline, bool& late, Step step) {
    for (;;) {
        int n = step();
        if (n > 0) return n;
        int error = SSL_get_error(ssl, n);
        if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) return n;
        pollfd p{fd, static_cast<short>(error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT), 0};
        int ready = ::poll(&p, 1, ms_until(deadline));
        if (ready == 0) {
            late = true;
            return -1;
        }
        if (ready < 0 && errno != EINTR) return -1;
    }
}

// Status line, then the body by Content-Length, chunks, or up to the close.
Result<HttpAnswer> parse_answer(const std::string& raw) {
    std::size_t head_end = raw.find("\r\n\r\n");
    if (raw.compare(0, 5, "HTTP/") != 0 || head_end == std::string::npos) {
        return Status::unavailable("the cloud's answer is not HTTP");
    }
    HttpAnswer answer;
    std::size_t space = raw.find(' ');
    if (space == std::string::npos || space + 4 > head_end ||
        std::from_chars(raw.data() + space + 1, raw.data() + space + 4, answer.status).ec != std::errc()) {
        return Status::unavailable("the cloud's answer has no status");
    }
    std::string head = raw.substr(0, head_end);
    for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string rest = raw.substr(head_end + 4);
    if (head.find("\r\ntransfer-encoding: chunked") != std::string::npos) {
        std::size_t at = 0;
        while (true) {
            std::size_t line_end = rest.find("\r\n", at);
            if (line_end == std::string::npos) return Status::unavailable("the cloud's answer was cut short");
            std::size_t size = 0;
            auto parsed = std::from_chars(rest.data() + at, rest.data() + line_end, size, 16);
            if (parsed.ec != std::errc() || line_end + 2 + size > rest.size())
                return Status::unavailable("the cloud's answer was cut short");
            if (size == 0) break;
            answer.body.append(rest, line_end + 2, size);
            at = line_end + 2 + size + 2;
        }
        return answer;
    }
    if (std::size_t at = head.find("\r\ncontent-length:"); at != std::string::npos) {
        std::size_t length = 0;
        std::size_t digits = head.find_first_not_of(' ', at + 17);
        std::from_chars(head.data() + digits, head.data() + head.size(), length);
        if (rest.size() < length) return Status::unavailable("the cloud's answer was cut short");
        rest.resize(length);
    }
    answer.body = std::move(rest);
    return answer;
}

}  // namespace

Result<HttpsUrl> parse_https_url(std::string_view url) {
    constexpr std::string_view kScheme = "https://";
    if (url.substr(0, kScheme.size()) != kScheme) {
        return Status::invalid_argument(fmt::format("'{}' is not an https:// URL: the cloud is only reached over HTTPS",
                                                    url));
    }
    std::string_view rest = url.substr(kScheme.size());
    if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    HttpsUrl out{"", "443"};
    std::string_view port;
    if (!rest.empty() && rest.front() == '[') {
        std::size_t close = rest.find(']');
        if (close == std::string_view::npos) return Status::invalid_argument(fmt::format("bad IPv6 host in '{}'", url));
        out.host = std::string(rest.substr(1, close - 1));
        rest.remove_prefix(close + 1);
        if (!rest.empty() && rest.front() != ':') return Status::invalid_argument(fmt::format("bad URL '{}'", url));
        if (!rest.empty()) port = rest.substr(1);
    } else {
        std::size_t colon = rest.find(':');
        out.host = std::string(rest.substr(0, colon));
        if (colon != std::string_view::npos) port = rest.substr(colon + 1);
    }
    if (out.host.empty() || out.host.find_first_of("/?#@ ") != std::string::npos) {
        return Status::invalid_argument(fmt::format("'{}' is not https://HOST:PORT (no path)", url));
    }
    if (!port.empty()) {
        int number = 0;
        auto parsed = std::from_chars(port.data(), port.data() + port.size(), number);
        if (parsed.ec != std::errc() || parsed.ptr != port.data() + port.size() || number < 1 || number > 65535)
            return Status::invalid_argument(fmt::format("bad port in '{}'", url));
        out.port = std::string(port);
    }
    return out;
}

Result<HttpAnswer> https_post_json(const HttpsUrl& url, const std::string& path, const std::string& body,
                                   const std::string& ca_file, std::chrono::milliseconds timeout) {
    std::string where = fmt::format("{}:{}", url.host, url.port);
    std::unique_ptr<SSL_CTX, SslCtxFree> ctx(SSL_CTX_new(TLS_client_method()));
    if (!ctx || !SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION)) {
        return Status::internal("cannot set up TLS: " + openssl_reasons());
    }
    if (SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr) != 1) {
        return Status::invalid_argument(
            fmt::format("cannot use {} as the CA that vouches for the cloud: {}", ca_file, openssl_reasons()));
    }
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);

    const SteadyClock::time_point deadline = SteadyClock::now() + timeout;
    auto too_late = [&](std::string_view during) {
        return Status::unavailable(
            fmt::format("the cloud at {} did not {} within {} ms", where, during, timeout.count()));
    };
    bool late = false;
    Result<std::unique_ptr<Socket>> socket = connect_to(url, deadline);
    if (!socket) return socket.status();
    std::unique_ptr<SSL, SslFree> ssl(SSL_new(ctx.get()));
    if (!ssl || SSL_set_fd(ssl.get(), (*socket)->fd()) != 1) return Status::internal("cannot set up TLS: " + openssl_reasons());
    // The name the certificate must carry: without this check any certificate
    // from the CA (a lamp's own, say) could pose as the cloud.
    bool ip = is_ip_address(url.host);
    bool named = ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), url.host.c_str()) == 1
                    : SSL_set1_host(ssl.get(), url.host.c_str()) == 1 &&
                          SSL_set_tlsext_host_name(ssl.get(), url.host.c_str()) == 1;
    if (!named) return Status::invalid_argument(fmt::format("cannot check the cloud's name {}", url.host));
    const int fd = (*socket)->fd();
    if (step_until(ssl.get(), fd, deadline, late, [&] { return SSL_connect(ssl.get()); }) != 1) {
        if (late) return too_late("finish the TLS handshake");
        long verify = SSL_get_verify_result(ssl.get());
        if (verify != X509_V_OK) {
            ERR_clear_error();
            return Status::permission_denied(fmt::format("the cloud at {} is not trusted: its certificate {} (checked "
                                                         "against {})",
                                                         where, X509_verify_cert_error_string(verify), ca_file));
        }
        return Status::unavailable(fmt::format("TLS with the cloud at {} failed: {}", where, openssl_reasons()));
    }
    std::string request = fmt::format(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nAccept: application/json\r\n"
        "Content-Length: {}\r\nConnection: close\r\n\r\n{}",
        path, ip && url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host, body.size(), body);
    int written = step_until(ssl.get(), fd, deadline, late,
                             [&] { return SSL_write(ssl.get(), request.data(), static_cast<int>(request.size())); });
    if (late) return too_late("take the request");
    if (written != static_cast<int>(request.size())) {
        return Status::unavailable(fmt::format("sending to the cloud at {} failed: {}", where, openssl_reasons()));
    }
    std::string raw;
    char buffer[16 * 1024];
    while (raw.size() < kMaxAnswer) {
        int n = step_until(ssl.get(), fd, deadline, late, [&] { return SSL_read(ssl.get(), buffer, sizeof buffer); });
        if (late) return too_late("answer");
        if (n > 0) {
            raw.append(buffer, static_cast<std::size_t>(n));
            continue;
        }
        int error = SSL_get_error(ssl.get(), n);
        ERR_clear_error();
        if (error == SSL_ERROR_ZERO_RETURN || (error == SSL_ERROR_SYSCALL && errno == 0)) break;
        if (raw.find("\r\n\r\n") != std::string::npos) break;  // closed without close_notify: parse what came
        return Status::unavailable(fmt::format("no answer from the cloud at {} ({})", where,
                                               error == SSL_ERROR_SYSCALL ? errno_text() : "TLS error"));
    }
    return parse_answer(raw);
}

}  // namespace lampi::lampid
