// Stream: one non-blocking TCP connection, optionally wrapped in TLS, that a
// Session reads and writes through. TLS and plain share this one code path.
//
// open() starts the TCP connect; the owner calls advance() whenever epoll
// reports the socket ready until it returns `ready` (TCP connected and, with
// TLS, the handshake done, the broker's certificate verified). After that,
// read()/write() move bytes and never block. Every failure leaves a message in
// error() that says what went wrong and what to check.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "lampi/status.h"
#include "mqtt/tls_context.h"

struct ssl_st;

namespace lampi::load {

class Stream {
public:
    enum class Progress { ready, pending, failed };
    // What a read or write did: `bytes` moved, or why none were.
    struct Io {
        enum Kind { ok, would_block, closed, failed } kind = ok;
        std::size_t bytes = 0;
    };

    Stream() = default;
    ~Stream() { close(); }
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;

    // Resolves `host` (cached per thread), binds to `bind_address` when given and
    // starts the connect. `tls` may be null (plain TCP); `cert_file`/`key_file`
    // override the context's client certificate for this connection.
    Status open(const std::string& host, int port, const std::string& bind_address,
                std::shared_ptr<TlsContext> tls, const std::string& cert_file, const std::string& key_file);
    Progress advance();
    // While not ready: whether advance() waits for writability (else readability).
    bool advance_wants_write() const { return !tcp_connected_ || handshake_wants_write_; }
    bool ready() const { return ready_; }

    Io read(char* buffer, std::size_t size);
    Io write(const char* data, std::size_t size);
    // TLS may hold decrypted bytes the socket no longer signals.
    bool has_buffered_input() const;
    void close();

    int fd() const { return fd_; }
    // What the other end is, for error messages: its name and the options that say where it is.
    struct Peer {
        const char* name;
        const char* options;
    };
    static constexpr Peer kBroker{"broker", "--host and --port"};
    static constexpr Peer kServer{"server", "--host"};
    void set_peer(const Peer& peer) { peer_ = &peer; }
    std::string error() const;

private:
    Progress fail(std::string message);
    // "host:port", for messages.
    std::string endpoint() const;
    Progress start_tls();
    Progress handshake();
    std::string tls_failure(const char* during);

    // The commonest ends (the peer closed, a socket error) are kept as a code and
    // worded only when asked: an idle connection the server closed keeps no text.
    enum class End : std::uint8_t { none, peer_closed, peer_closed_tls, socket_error };
    // A client certificate of this connection's own (MQTT lamps): most have none.
    struct CertificateFiles {
        std::string cert, key;
    };

    // Kept small: a run holds tens of thousands of streams, one per connection.
    int fd_ = -1;
    int port_ = 0;
    bool tcp_connected_ = false;
    bool handshake_wants_write_ = false;
    bool ready_ = false;
    End end_ = End::none;
    int end_errno_ = 0;
    ssl_st* ssl_ = nullptr;
    std::shared_ptr<TlsContext> tls_;
    std::string host_;
    std::unique_ptr<CertificateFiles> certificate_;
    std::string error_;  // a failure worded when it happened (the commonest are end_)
    const Peer* peer_ = &kBroker;
};

}  // namespace lampi::load
