#include "mqtt/stream.h"

#include <arpa/inet.h>
#include <fmt/core.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_map>

#include "lampi/errno_text.h"

namespace lampi::load {
namespace {

struct Address {
    sockaddr_storage storage{};
    socklen_t length = 0;
};

// getaddrinfo reads /etc/hosts (or asks DNS) every time; thousands of connects a
// second to one broker need it once.
Result<Address> resolve(const std::string& host, int port) {
    thread_local std::unordered_map<std::string, Address> cache;
    std::string key = fmt::format("{}:{}", host, port);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    std::string service = std::to_string(port);
    if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
        return Status::error(fmt::format("cannot connect to {}:{}: {}: check --host", host, port, gai_strerror(rc)));
    }
    Address a;
    std::memcpy(&a.storage, found->ai_addr, found->ai_addrlen);
    a.length = found->ai_addrlen;
    freeaddrinfo(found);
    cache.emplace(key, a);
    return a;
}

bool is_ip_literal(const std::string& host) {
    unsigned char buf[sizeof(in6_addr)];
    return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

Status Stream::open(const std::string& host, int port, const std::string& bind_address,
                    std::shared_ptr<TlsContext> tls, const std::string& cert_file, const std::string& key_file) {
    close();
    error_.clear();
    end_ = End::none;
    tcp_connected_ = ready_ = handshake_wants_write_ = false;
    host_ = host;
    port_ = port;
    tls_ = std::move(tls);
    certificate_.reset();
    if (!cert_file.empty()) certificate_ = std::make_unique<CertificateFiles>(CertificateFiles{cert_file, key_file});
    Result<Address> address = resolve(host, port);
    if (!address) return address.status();
    const Address& a = *address;
    fd_ = ::socket(a.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
        return Status::error(
            fmt::format("cannot open a socket: {}: raise the open-file limit (ulimit -n)", errno_text()));
    }
    int one = 1;
    // Without it Nagle holds small packets back until the peer's delayed ACK
    // (~40 ms on Linux), which would be measured as latency that no lamp sees.
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::string from;
    if (!bind_address.empty()) {
        from = " from " + bind_address;
        // The port is chosen at connect() time, per destination, so one source
        // address serves as many connections as there are ephemeral ports.
        setsockopt(fd_, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        sockaddr_storage local{};
        socklen_t local_length = 0;
        if (a.storage.ss_family == AF_INET) {
            auto* in = reinterpret_cast<sockaddr_in*>(&local);
            in->sin_family = AF_INET;
            if (inet_pton(AF_INET, bind_address.c_str(), &in->sin_addr) == 1) local_length = sizeof *in;
        } else {
            auto* in6 = reinterpret_cast<sockaddr_in6*>(&local);
            in6->sin6_family = AF_INET6;
            if (inet_pton(AF_INET6, bind_address.c_str(), &in6->sin6_addr) == 1) local_length = sizeof *in6;
        }
        if (local_length == 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&local), local_length) != 0) {
            std::string why = local_length == 0 ? fmt::format("not an address of the {}'s family", peer_->name)
                                                : errno_text();
            close();
            return Status::error(fmt::format("cannot bind to source address {}: {}: check --bind", bind_address, why));
        }
    }
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&a.storage), a.length) != 0 && errno != EINPROGRESS) {
        std::string why = errno_text();
        close();
        return Status::error(
            fmt::format("cannot connect to {}{}: {}: is the {} running and listening there "
                        "(check {})?",
                        endpoint(), from, why, peer_->name, peer_->options));
    }
    return Status::ok();
}

std::string Stream::endpoint() const { return fmt::format("{}:{}", host_, port_); }

std::string Stream::error() const {
    if (!error_.empty()) return error_;
    switch (end_) {
        case End::none: return {};
        case End::peer_closed: return fmt::format("the {} closed the connection", peer_->name);
        case End::peer_closed_tls: return fmt::format("the {} closed the TLS connection", peer_->name);
        case End::socket_error: return errno_text(end_errno_);
    }
    return {};
}

Stream::Progress Stream::fail(std::string message) {
    error_ = std::move(message);
    close();
    return Progress::failed;
}

Stream::Progress Stream::advance() {
    if (ready_) return Progress::ready;
    if (fd_ < 0) return Progress::failed;
    if (!tcp_connected_) {
        // Called only once epoll reported the socket: the connect has finished.
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
            return fail(
                fmt::format("cannot connect to {}: {}: is the {} running and listening there "
                            "(check {})?",
                            endpoint(), errno_text(err), peer_->name, peer_->options));
        }
        tcp_connected_ = true;
        if (!tls_) {
            ready_ = true;
            return Progress::ready;
        }
        return start_tls();
    }
    return handshake();
}

Stream::Progress Stream::start_tls() {
    ERR_clear_error();
    ssl_ = SSL_new(tls_->native());
    if (!ssl_ || SSL_set_fd(ssl_, fd_) != 1) return fail("cannot start TLS: " + openssl_errors());
    if (certificate_) {
        const std::string& cert = certificate_->cert;
        const std::string& key = certificate_->key.empty() ? cert : certificate_->key;
        if (SSL_use_certificate_chain_file(ssl_, cert.c_str()) != 1 ||
            SSL_use_PrivateKey_file(ssl_, key.c_str(), SSL_FILETYPE_PEM) != 1 || SSL_check_private_key(ssl_) != 1) {
            return fail(
                fmt::format("cannot use the client certificate '{}' and key '{}' ({}): check that both "
                            "exist and belong together",
                            cert, key, openssl_errors()));
        }
    }
    if (tls_->verify_host_name()) {
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
        if (is_ip_literal(host_)) {
            X509_VERIFY_PARAM_set1_ip_asc(param, host_.c_str());
        } else {
            SSL_set1_host(ssl_, host_.c_str());
            SSL_set_tlsext_host_name(ssl_, host_.c_str());
        }
    }
    SSL_set_connect_state(ssl_);
    return handshake();
}

std::string Stream::tls_failure(const char* during) {
    long verify = ssl_ ? SSL_get_verify_result(ssl_) : X509_V_OK;
    if (verify != X509_V_OK) {
        return fmt::format(
            "TLS {} with {} failed: the {}'s certificate was not accepted: {}: check that {} "
            "is the CA that signed the {}'s certificate{}",
            during, endpoint(), peer_->name, X509_verify_cert_error_string(verify), tls_->names().cafile, peer_->name,
            tls_->verify_host_name()
                ? fmt::format(" and that it names the host you connect to ({})", tls_->names().skip_name_check)
                : std::string());
    }
    std::string detail = openssl_errors();
    if (detail == "no detail from OpenSSL")
        detail = errno ? errno_text() : fmt::format("the {} closed the connection", peer_->name);
    return fmt::format(
        "TLS {} with {} failed: {}: check that the port is a TLS listener and, for mutual TLS, that "
        "{} hold a certificate the {}'s CA signed",
        during, endpoint(), detail, tls_->names().client_certificate, peer_->name);
}

Stream::Progress Stream::handshake() {
    ERR_clear_error();
    errno = 0;
    int rc = SSL_do_handshake(ssl_);
    if (rc == 1) {
        ready_ = true;
        handshake_wants_write_ = false;
        return Progress::ready;
    }
    switch (SSL_get_error(ssl_, rc)) {
        case SSL_ERROR_WANT_READ: handshake_wants_write_ = false; return Progress::pending;
        case SSL_ERROR_WANT_WRITE: handshake_wants_write_ = true; return Progress::pending;
        default: return fail(tls_failure("handshake"));
    }
}

Stream::Io Stream::read(char* buffer, std::size_t size) {
    if (fd_ < 0) return {Io::failed, 0};
    if (!ssl_) {
        ssize_t n = ::recv(fd_, buffer, size, 0);
        if (n > 0) return {Io::ok, static_cast<std::size_t>(n)};
        if (n == 0) {
            end_ = End::peer_closed;
            return {Io::closed, 0};
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return {Io::would_block, 0};
        end_ = End::socket_error;
        end_errno_ = errno;
        return {Io::failed, 0};
    }
    ERR_clear_error();
    errno = 0;
    std::size_t got = 0;
    int rc = SSL_read_ex(ssl_, buffer, size, &got);
    if (rc == 1) return {Io::ok, got};
    switch (SSL_get_error(ssl_, rc)) {
        case SSL_ERROR_WANT_READ:
        case SSL_ERROR_WANT_WRITE: return {Io::would_block, 0};
        case SSL_ERROR_ZERO_RETURN: end_ = End::peer_closed_tls; return {Io::closed, 0};
        default: error_ = tls_failure("read"); return {Io::failed, 0};
    }
}

// The mirror of read(), kept apart: a peer's close means something only to a read.
Stream::Io Stream::write(const char* data, std::size_t size) {
    if (fd_ < 0) return {Io::failed, 0};
    if (!ssl_) {
        ssize_t n = ::send(fd_, data, size, MSG_NOSIGNAL);
        if (n >= 0) return {Io::ok, static_cast<std::size_t>(n)};
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return {Io::would_block, 0};
        end_ = End::socket_error;
        end_errno_ = errno;
        return {Io::failed, 0};
    }
    ERR_clear_error();
    errno = 0;
    std::size_t put = 0;
    int rc = SSL_write_ex(ssl_, data, size, &put);
    if (rc == 1) return {Io::ok, put};
    switch (SSL_get_error(ssl_, rc)) {
        case SSL_ERROR_WANT_READ:
        case SSL_ERROR_WANT_WRITE: return {Io::would_block, 0};
        default: error_ = tls_failure("write"); return {Io::failed, 0};
    }
}

bool Stream::has_buffered_input() const { return ssl_ && SSL_pending(ssl_) > 0; }

void Stream::close() {
    if (ssl_) {
        SSL_free(ssl_);
        ssl_ = nullptr;
    }
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
    ready_ = false;
}

}  // namespace lampi::load
