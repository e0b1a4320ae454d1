#include "wire.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdlib>
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

std::chrono::milliseconds remaining(Clock::time_point deadline) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
}

void put_u16(std::string& out, std::size_t value) {
    out += static_cast<char>((value >> 8) & 0xff);
    out += static_cast<char>(value & 0xff);
}

void put_string(std::string& out, const std::string& s) {
    put_u16(out, s.size());
    out += s;
}

std::string with_fixed_header(unsigned char type_and_flags, const std::string& rest) {
    std::string out(1, static_cast<char>(type_and_flags));
    std::size_t length = rest.size();
    do {
        unsigned char byte = length % 128;
        length /= 128;
        if (length > 0) byte |= 0x80;
        out += static_cast<char>(byte);
    } while (length > 0);
    return out + rest;
}

// One whole packet at the front of `buffer`: its first byte and its body;
// nullopt while incomplete.
std::optional<std::pair<unsigned char, std::string>> take_packet(std::string& buffer) {
    std::size_t length = 0;
    std::size_t multiplier = 1;
    std::size_t i = 1;
    for (;; ++i) {
        if (i >= buffer.size() || i > 4) return std::nullopt;
        auto byte = static_cast<unsigned char>(buffer[i]);
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        if ((byte & 0x80) == 0) break;
    }
    if (buffer.size() < i + 1 + length) return std::nullopt;
    auto packet = std::make_pair(static_cast<unsigned char>(buffer[0]), buffer.substr(i + 1, length));
    buffer.erase(0, i + 1 + length);
    return packet;
}

std::string connack_name(int code) {
    switch (code) {
        case 0: return "CONNACK 0 (accepted)";
        case 1: return "CONNACK 1 (unacceptable protocol version)";
        case 2: return "CONNACK 2 (identifier rejected)";
        case 3: return "CONNACK 3 (server unavailable)";
        case 4: return "CONNACK 4 (bad user name or password)";
        case 5: return "CONNACK 5 (not authorized)";
        default: return "CONNACK " + std::to_string(code);
    }
}

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
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
                                                     std::string& error, std::chrono::milliseconds timeout) {
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
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
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
        if (n > 0) return std::string(buffer, static_cast<std::size_t>(n));
        if (n == 0) error = "closed by the server";
        else if (errno == EAGAIN || errno == EWOULDBLOCK) error = "timed out";
        else error = std::string("read failed: ") + std::strerror(errno);
        return "";
    }
    int n = SSL_read(as_ssl(ssl_), buffer, sizeof buffer);
    if (n > 0) return std::string(buffer, static_cast<std::size_t>(n));
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
    while (remaining(deadline).count() > 0) {
        std::string part = receive(remaining(deadline), error);
        if (part.empty()) break;
        all += part;
    }
    return all;
}

bool WireConnection::closed_by_peer(std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (remaining(deadline).count() > 0) {
        std::string error;
        std::string part = receive(remaining(deadline), error);
        if (part.empty()) return error != "timed out";
    }
    return false;
}

std::string mqtt_connect_packet(const MqttConnect& connect) {
    std::string body;
    put_string(body, "MQTT");
    body += static_cast<char>(4);  // protocol level: 3.1.1
    unsigned char flags = connect.clean_session ? 0x02 : 0x00;
    if (connect.username) flags |= 0x80;
    if (connect.password) flags |= 0x40;
    if (connect.will) {
        flags |= 0x04 | static_cast<unsigned char>(connect.will->qos << 3);
        if (connect.will->retain) flags |= 0x20;
    }
    body += static_cast<char>(flags);
    put_u16(body, connect.keepalive);
    put_string(body, connect.client_id);
    if (connect.will) {
        put_string(body, connect.will->topic);
        put_string(body, connect.will->payload);
    }
    if (connect.username) put_string(body, *connect.username);
    if (connect.password) put_string(body, *connect.password);
    return with_fixed_header(0x10, body);
}

std::string mqtt_subscribe_packet(std::uint16_t packet_id, const std::string& filter, int qos) {
    std::string body;
    put_u16(body, packet_id);
    put_string(body, filter);
    body += static_cast<char>(qos);
    return with_fixed_header(0x82, body);
}

std::string mqtt_publish_packet(const std::string& topic, const std::string& payload, int qos,
                                std::uint16_t packet_id, bool retain) {
    std::string body;
    put_string(body, topic);
    if (qos > 0) put_u16(body, packet_id);
    body += payload;
    return with_fixed_header(static_cast<unsigned char>(0x30 | (qos << 1) | (retain ? 1 : 0)), body);
}

std::optional<MqttMessageOnWire> mqtt_wait_publish(WireConnection& session, const std::string& topic,
                                                   const std::string& marker, std::chrono::milliseconds timeout,
                                                   std::string& observed) {
    auto deadline = Clock::now() + timeout;
    std::string buffer;
    std::string error;
    while (true) {
        while (auto packet = take_packet(buffer)) {
            if ((packet->first & 0xf0) != 0x30) continue;
            const std::string& body = packet->second;
            if (body.size() < 2) continue;
            std::size_t length = (static_cast<unsigned char>(body[0]) << 8) | static_cast<unsigned char>(body[1]);
            if (body.size() < 2 + length) continue;
            MqttMessageOnWire message;
            message.topic = body.substr(2, length);
            message.qos = (packet->first >> 1) & 3;
            message.retain = packet->first & 1;
            std::size_t offset = 2 + length;
            if (message.qos > 0 && body.size() >= offset + 2) {
                std::string ack(1, static_cast<char>(message.qos == 1 ? 0x40 : 0x50));
                ack += static_cast<char>(2);
                ack += body.substr(offset, 2);
                session.send(ack, error);
                offset += 2;
            }
            message.payload = body.substr(std::min(offset, body.size()));
            if (message.topic == topic && message.payload.find(marker) != std::string::npos) {
                observed = "PUBLISH " + topic + " \"" + message.payload.substr(0, 60) + "\"";
                return message;
            }
        }
        if (remaining(deadline).count() <= 0) break;
        std::string part = session.receive(remaining(deadline), error);
        if (part.empty()) {
            observed = "no PUBLISH on " + topic + ": " + error;
            return std::nullopt;
        }
        buffer += part;
    }
    observed = "no PUBLISH on " + topic + " within " + std::to_string(timeout.count()) + " ms";
    return std::nullopt;
}

MqttAttempt mqtt_connect(int port, const std::optional<TlsIdentity>& tls, const MqttConnect& connect,
                         std::chrono::milliseconds timeout) {
    MqttAttempt attempt;
    std::string error;
    auto connection = WireConnection::open(port, tls, error, timeout);
    if (!connection) {
        attempt.observed = error;
        return attempt;
    }
    if (!connection->send(mqtt_connect_packet(connect), error)) {
        // The server's reason (a TLS alert) is waiting to be read.
        std::string reason;
        connection->receive(std::chrono::milliseconds(500), reason);
        attempt.observed = "CONNECT not delivered: " + (reason.empty() ? error : reason);
        return attempt;
    }
    auto deadline = Clock::now() + timeout;
    std::string buffer;
    while (remaining(deadline).count() > 0) {
        if (auto packet = take_packet(buffer)) {
            if (packet->first != 0x20 || packet->second.size() < 2) {
                attempt.observed = "not a CONNACK (first byte " + std::to_string(packet->first) + ")";
                return attempt;
            }
            int code = static_cast<unsigned char>(packet->second[1]);
            attempt.observed = connack_name(code);
            attempt.accepted = code == 0;
            if (attempt.accepted) attempt.session = std::move(connection);
            return attempt;
        }
        std::string part = connection->receive(remaining(deadline), error);
        if (part.empty()) {
            attempt.observed = "no CONNACK: " + error;
            return attempt;
        }
        buffer += part;
    }
    attempt.observed = "no CONNACK: timed out";
    return attempt;
}

bool mqtt_publish_acknowledged(WireConnection& session, const std::string& topic, const std::string& payload,
                               std::string& observed) {
    static std::uint16_t next_id = 30000;
    std::uint16_t id = next_id++;
    std::string error;
    if (!session.send(mqtt_publish_packet(topic, payload, 1, id), error)) {
        observed = "PUBLISH not delivered: " + error;
        return false;
    }
    return mqtt_wait_ack(session, 0x40, id, observed);
}

bool mqtt_wait_ack(WireConnection& session, unsigned char type, std::uint16_t packet_id, std::string& observed) {
    const std::string name = std::string(type == 0x40 ? "PUBACK" : type == 0x50 ? "PUBREC" : type == 0x70 ? "PUBCOMP" : "ack") +
                             " for id " + std::to_string(packet_id);
    auto deadline = Clock::now() + std::chrono::seconds(5);
    std::string buffer;
    std::string error;
    while (remaining(deadline).count() > 0) {
        while (auto packet = take_packet(buffer)) {
            const std::string& body = packet->second;
            if ((packet->first & 0xf0) != type || body.size() < 2) continue;
            if (((static_cast<unsigned char>(body[0]) << 8) | static_cast<unsigned char>(body[1])) != packet_id) continue;
            observed = name;
            return true;
        }
        std::string part = session.receive(remaining(deadline), error);
        if (part.empty()) {
            observed = "no " + name + ": " + error;
            return false;
        }
        buffer += part;
    }
    observed = "no " + name + ": timed out";
    return false;
}

int mqtt_subscribe(WireConnection& session, const std::string& filter, std::string& observed) {
    static std::uint16_t next_id = 1;
    std::uint16_t id = next_id++;
    std::string error;
    if (!session.send(mqtt_subscribe_packet(id, filter), error)) {
        observed = "SUBSCRIBE not delivered: " + error;
        return kSubscribeUnanswered;
    }
    auto deadline = Clock::now() + std::chrono::seconds(5);
    std::string buffer;
    while (remaining(deadline).count() > 0) {
        while (auto packet = take_packet(buffer)) {
            const std::string& body = packet->second;
            if (packet->first != 0x90 || body.size() < 3) continue;  // a message from an earlier subscription
            if (((static_cast<unsigned char>(body[0]) << 8) | static_cast<unsigned char>(body[1])) != id) continue;
            int code = static_cast<unsigned char>(body[2]);
            observed = code == 0x80 ? "SUBACK 0x80 (refused)" : "SUBACK " + std::to_string(code) + " (granted)";
            return code;
        }
        std::string part = session.receive(remaining(deadline), error);
        if (part.empty()) {
            observed = "no SUBACK: " + error;
            return error.rfind("closed by the server", 0) == 0 ? kSubscribeCut : kSubscribeUnanswered;
        }
        buffer += part;
    }
    observed = "no SUBACK: timed out";
    return kSubscribeUnanswered;
}

std::string HttpAnswer::header(const std::string& name) const {
    auto it = headers.find(lower(name));
    return it == headers.end() || it->second.empty() ? "" : it->second.front();
}

std::string HttpAnswer::set_cookie(const std::string& name) const {
    auto it = headers.find("set-cookie");
    if (it == headers.end()) return "";
    for (const std::string& line : it->second) {
        if (line.rfind(name + "=", 0) != 0) continue;
        std::string value = line.substr(name.size() + 1);
        return value.substr(0, value.find(';'));
    }
    return "";
}

std::string HttpAnswer::describe() const {
    return status != 0 ? "HTTP " + std::to_string(status) : "no response: " + error;
}

HttpAnswer http_exchange(int port, const TlsIdentity& tls, const std::string& raw, std::chrono::milliseconds timeout) {
    HttpAnswer answer;
    auto start = Clock::now();
    auto deadline = start + timeout;
    std::string error;
    auto connection = WireConnection::open(port, tls, error, timeout);
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
    std::optional<std::size_t> content_length;
    while (remaining(deadline).count() > 0) {
        if (header_end == std::string::npos) {
            header_end = data.find("\r\n\r\n");
            if (header_end != std::string::npos) {
                std::string head = data.substr(0, header_end);
                std::size_t line_end = head.find("\r\n");
                std::string status_line = head.substr(0, line_end);
                if (status_line.size() >= 12) answer.status = std::atoi(status_line.substr(9, 3).c_str());
                std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
                while (pos < head.size()) {
                    std::size_t end = head.find("\r\n", pos);
                    if (end == std::string::npos) end = head.size();
                    std::string line = head.substr(pos, end - pos);
                    std::size_t colon = line.find(':');
                    if (colon != std::string::npos) {
                        std::string value = line.substr(colon + 1);
                        value.erase(0, value.find_first_not_of(' '));
                        answer.headers[lower(line.substr(0, colon))].push_back(value);
                    }
                    pos = end + 2;
                }
                if (auto length = answer.header("content-length"); !length.empty()) {
                    content_length = static_cast<std::size_t>(std::stoull(length));
                }
            }
        }
        if (header_end != std::string::npos && content_length && data.size() >= header_end + 4 + *content_length) break;
        std::string part = connection->receive(remaining(deadline), error);
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
    std::string out = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                      "\r\nConnection: close\r\n";
    for (const std::string& h : headers) out += h + "\r\n";
    if (!body.empty() || method == "POST") out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    return out + "\r\n" + body;
}

}  // namespace lampi::testing
