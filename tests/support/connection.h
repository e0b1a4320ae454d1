// A connection on loopback (plain TCP or TLS through OpenSSL) that sends
// exactly the bytes it is given and reads with a deadline: the transport under
// the test HTTP client and the MQTT wire tools. Ordinary clients (libmosquitto,
// libcurl) normalise or refuse what a test sends on purpose (`../` in a path, a
// plaintext CONNECT to a TLS port, a header that never ends).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace lampi::testing {

// What is left of the time until `deadline` (negative once it has passed).
inline std::chrono::milliseconds time_left(std::chrono::steady_clock::time_point deadline) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
}

struct TlsIdentity {
    std::string ca_file;    // verifies the server; empty: no verification
    std::string cert_file;  // client certificate (mutual TLS); empty: none
    std::string key_file;
};

// While one lives, new connections leave from `address` (another loopback
// address such as 127.0.0.7): the attacks play many clients from one machine.
class ScopedSourceAddress {
public:
    explicit ScopedSourceAddress(std::string address);
    ~ScopedSourceAddress();
    ScopedSourceAddress(const ScopedSourceAddress&) = delete;
    ScopedSourceAddress& operator=(const ScopedSourceAddress&) = delete;

private:
    std::string previous_;
};

class WireConnection {
public:
    // Connects to host:port (an IPv4 address of this machine), with a TLS
    // handshake when `tls` is set. On failure returns nullptr and says why in
    // `error` (the TLS alert, if any).
    static std::unique_ptr<WireConnection> open(int port, const std::optional<TlsIdentity>& tls, std::string& error,
                                                std::chrono::milliseconds timeout = std::chrono::seconds(5),
                                                const std::string& host = "127.0.0.1");
    ~WireConnection();
    WireConnection(const WireConnection&) = delete;
    WireConnection& operator=(const WireConnection&) = delete;

    bool send(std::string_view bytes, std::string& error);
    // Whatever arrives within `timeout` (at least one byte), or "" with `error`
    // set ("closed by the server", "timed out", the TLS alert ...).
    std::string receive(std::chrono::milliseconds timeout, std::string& error);
    // Reads until the server closes the connection or `timeout` passes.
    std::string receive_all(std::chrono::milliseconds timeout, std::string& error);
    // True when the server has closed the connection (a read returns end of
    // stream or an error) within `timeout`.
    bool closed_by_peer(std::chrono::milliseconds timeout);

private:
    WireConnection(int fd, void* ssl) : fd_(fd), ssl_(ssl) {}
    int fd_;
    void* ssl_;  // SSL*, or nullptr for plain TCP
};

}  // namespace lampi::testing
