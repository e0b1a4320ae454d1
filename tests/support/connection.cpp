#include "connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

namespace lampi::testing {
namespace {

using Clock = std::chrono::steady_clock;

SSL* as_ssl(void* p) { return static_cast<SSL*>(p); }

std::string openssl_error() {
    unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0) return "no OpenSSL reason";
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return text;
}

void set_timeout(int fd, std::chrono::milliseconds timeout) {
    if (timeout < std::chrono::milliseconds(1)) timeout = std::chrono::milliseconds(1);
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

}  // namespace

namespace {
thread_local std::string source_address;
}  // namespace

ScopedSourceAddress::ScopedSourceAddress(std::string address) : previous_(source_address) {
    source_address = std::move(address);
}
ScopedSourceAddress::~ScopedSourceAddress() { source_address = previous_; }

std::unique_ptr<WireConnection> WireConnection::open(int port, const std::optional<TlsIdentity>& tls,
                                                     std::string& error, std::chrono::milliseconds timeout,
                                                     const std::string& host) {
    // A write to a connection the server has cut must fail, not kill the test
    // (OpenSSL writes with write(2), which raises SIGPIPE).
    static const bool sigpipe_ignored = [] { return std::signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();
    (void)sigpipe_ignored;
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error = std::string("socket: ") + std::strerror(errno);
        return nullptr;
    }
    set_timeout(fd, timeout);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (!source_address.empty()) {
        sockaddr_in local{};
        local.sin_family = AF_INET;
        ::inet_pton(AF_INET, source_address.c_str(), &local.sin_addr);
        if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
            error = "bind " + source_address + ": " + std::strerror(errno);
            ::close(fd);
            return nullptr;
        }
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
        error = "not an IPv4 address: " + host;
        ::close(fd);
        return nullptr;
    }
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        error = "TCP connect: " + std::string(std::strerror(errno));
        ::close(fd);
        return nullptr;
    }
    if (!tls) return std::unique_ptr<WireConnection>(new WireConnection(fd, nullptr));

    SSL_CTX* context = SSL_CTX_new(TLS_client_method());
    bool ok = context != nullptr;
    if (ok && !tls->ca_file.empty()) {
        ok = SSL_CTX_load_verify_locations(context, tls->ca_file.c_str(), nullptr) == 1;
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nullptr);
        X509_VERIFY_PARAM_set1_ip_asc(SSL_CTX_get0_param(context), "127.0.0.1");
    }
    if (ok && !tls->cert_file.empty()) {
        ok = SSL_CTX_use_certificate_chain_file(context, tls->cert_file.c_str()) == 1 &&
             SSL_CTX_use_PrivateKey_file(context, tls->key_file.c_str(), SSL_FILETYPE_PEM) == 1;
    }
    if (!ok) {
        error = "TLS set-up (CA, certificate or key file): " + openssl_error();
        if (context) SSL_CTX_free(context);
        ::close(fd);
        return nullptr;
    }
    SSL* ssl = SSL_new(context);
    SSL_CTX_free(context);  // the SSL object keeps its own reference
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) != 1) {
        error = "TLS handshake failed: " + openssl_error();
        SSL_free(ssl);
        ::close(fd);
        return nullptr;
    }
    return std::unique_ptr<WireConnection>(new WireConnection(fd, ssl));
}

WireConnection::~WireConnection() {
    if (ssl_) SSL_free(as_ssl(ssl_));
    ::close(fd_);
}

bool WireConnection::send(std::string_view bytes, std::string& error) {
    while (!bytes.empty()) {
        long n = 0;
        if (ssl_) {
            n = SSL_write(as_ssl(ssl_), bytes.data(), static_cast<int>(bytes.size()));
            if (n <= 0) {
                error = "write failed: " + openssl_error();
                return false;
            }
        } else {
            n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (n <= 0) {
                error = std::string("write failed: ") + std::strerror(errno);
                return false;
            }
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

std::string WireConnection::receive(std::chrono::milliseconds timeout, std::string& error) {
    set_timeout(fd_, timeout);
    char buffer[16384];
    errno = 0;
    if (!ssl_) {
        long n = ::recv(fd_, buffer, sizeof buffer, 0);
        if (n > 0) return {buffer, static_cast<std::size_t>(n)};
        if (n == 0) error = "closed by the server";
        else if (errno == EAGAIN || errno == EWOULDBLOCK) error = "timed out";
        else error = std::string("read failed: ") + std::strerror(errno);
        return "";
    }
    int n = SSL_read(as_ssl(ssl_), buffer, sizeof buffer);
    if (n > 0) return {buffer, static_cast<std::size_t>(n)};
    int reason = SSL_get_error(as_ssl(ssl_), n);
    if (reason == SSL_ERROR_ZERO_RETURN) error = "closed by the server (TLS close_notify)";
    else if (reason == SSL_ERROR_SSL) error = "TLS: " + openssl_error();
    else if (errno == EAGAIN || errno == EWOULDBLOCK) error = "timed out";
    else if (errno == 0) error = "closed by the server";
    else error = std::string("read failed: ") + std::strerror(errno);
    ERR_clear_error();
    return "";
}

std::string WireConnection::receive_all(std::chrono::milliseconds timeout, std::string& error) {
    auto deadline = Clock::now() + timeout;
    std::string all;
    while (time_left(deadline).count() > 0) {
        std::string part = receive(time_left(deadline), error);
        if (part.empty()) break;
        all += part;
    }
    return all;
}

bool WireConnection::closed_by_peer(std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (time_left(deadline).count() > 0) {
        std::string error;
        std::string part = receive(time_left(deadline), error);
        if (part.empty()) return error != "timed out";
    }
    return false;
}

}  // namespace lampi::testing
