// connect_rate: how many MQTT connections per second a broker completes, over
// plain TCP or TLS (optionally mutual TLS with a client certificate), each one a
// full TCP connect + TLS handshake (no session resumption: a lamp after a
// reboot) + CONNECT/CONNACK + DISCONNECT. Prints one line of figures (or JSON).
//
//   connect_rate --port 18830 --seconds 10 --threads 2 --concurrency 8
//                [--cafile ca.pem [--cert lamp.pem --key lamp.key]...] [--username U --password P] [--json]
//
// Each thread keeps `concurrency` connections in flight (non-blocking sockets,
// one poll set), so the figure is the broker's rate, not one round trip's.
// Several --cert/--key pairs are used in turn (one identity per lamp).
// Packets are lampi-load's MQTT codec (src/load/mqtt/codec.h).
// Build: ninja -C build connect_rate (bench/security/CMakeLists.txt).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "mqtt/codec.h"

namespace {

namespace mqtt = lampi::load::mqtt;

using Clock = std::chrono::steady_clock;

struct Options {
    int port = 0;
    double seconds = 10;
    int threads = 2;
    int concurrency = 8;
    std::string cafile;
    std::vector<std::pair<std::string, std::string>> identities;  // cert, key
    std::string username;
    std::string password;
    bool json = false;
};

struct Totals {
    std::atomic<long> ok{0};
    std::atomic<long> refused{0};  // CONNACK != 0
    std::atomic<long> failed{0};   // TCP/TLS/protocol failure
    std::atomic<long> latency_us{0};
};

std::string connect_packet(const std::string& client_id, const Options& o) {
    mqtt::Connect connect;
    connect.client_id = client_id;
    connect.keepalive_s = 30;
    if (!o.username.empty()) connect.username = o.username;
    if (!o.password.empty()) connect.password = o.password;
    std::string out;
    mqtt::encode_connect(out, connect);
    return out;
}

// One connection's life as a small state machine on a non-blocking socket.
struct Attempt {
    enum class Step { connecting, handshaking, sending, reading, done } step = Step::connecting;
    int fd = -1;
    SSL* ssl = nullptr;
    std::string out;
    std::size_t sent = 0;
    std::string in;
    Clock::time_point started;
    std::size_t context = 0;  // which TLS identity
    short wants = POLLOUT;

    ~Attempt() {
        if (ssl) SSL_free(ssl);
        if (fd >= 0) ::close(fd);
    }
};

// The CN of the certificate in `pem_file`, "" when unreadable.
std::string common_name(const std::string& pem_file) {
    std::string cn;
    if (FILE* f = std::fopen(pem_file.c_str(), "r")) {
        if (X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr)) {
            char buffer[256] = {};
            if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buffer, sizeof buffer) > 0)
                cn = buffer;
            X509_free(cert);
        }
        std::fclose(f);
    }
    return cn;
}

class Worker {
public:
    Worker(const Options& o, int index, Totals& totals) : o_(o), index_(index), totals_(totals) {
        if (!o.cafile.empty()) {
            for (std::size_t i = 0; i < std::max<std::size_t>(1, o.identities.size()); ++i) {
                SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
                SSL_CTX_load_verify_locations(ctx, o.cafile.c_str(), nullptr);
                SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
                X509_VERIFY_PARAM_set1_ip_asc(SSL_CTX_get0_param(ctx), "127.0.0.1");
                // Every connection a full handshake, as a lamp coming back after a reboot.
                SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
                SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
                if (i < o.identities.size() &&
                    (SSL_CTX_use_certificate_chain_file(ctx, o.identities[i].first.c_str()) != 1 ||
                     SSL_CTX_use_PrivateKey_file(ctx, o.identities[i].second.c_str(), SSL_FILETYPE_PEM) != 1)) {
                    std::fprintf(stderr, "connect_rate: cannot load %s / %s\n", o.identities[i].first.c_str(),
                                 o.identities[i].second.c_str());
                    std::exit(2);
                }
                contexts_.push_back(ctx);
                common_names_.push_back(i < o.identities.size() ? common_name(o.identities[i].first) : "");
            }
        }
    }
    ~Worker() {
        for (SSL_CTX* c : contexts_) SSL_CTX_free(c);
    }

    void run(Clock::time_point until) {
        std::vector<std::unique_ptr<Attempt>> live;
        while (Clock::now() < until) {
            while (static_cast<int>(live.size()) < o_.concurrency) live.push_back(start());
            std::vector<pollfd> fds;
            for (auto& a : live) fds.push_back(pollfd{a->fd, a->wants, 0});
            ::poll(fds.data(), fds.size(), 100);
            for (std::size_t i = 0; i < live.size(); ++i) {
                if (fds[i].revents == 0 && Clock::now() - live[i]->started < std::chrono::seconds(5)) continue;
                if (fds[i].revents == 0) {
                    finish(*live[i], false, false);  // stuck for 5 s: count as failed
                } else {
                    advance(*live[i]);
                }
            }
            live.erase(std::remove_if(live.begin(), live.end(),
                                      [](const auto& a) { return a->step == Attempt::Step::done; }),
                       live.end());
        }
    }

private:
    std::unique_ptr<Attempt> start() {
        auto a = std::make_unique<Attempt>();
        a->started = Clock::now();
        a->fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int one = 1;
        ::setsockopt(a->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        // The client closes first after DISCONNECT: a reset instead of TIME_WAIT,
        // so a 10 s run does not exhaust the ephemeral ports.
        linger l{1, 0};
        ::setsockopt(a->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<uint16_t>(o_.port));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int rc = ::connect(a->fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        if (rc != 0 && errno != EINPROGRESS) {
            finish(*a, false, false);
            return a;
        }
        // Client ids the broker's plugin accepts: lamp-<CN> for a lamp certificate,
        // <username>-<n> for a person's credential.
        a->context = contexts_.empty() ? 0 : next_context_++ % contexts_.size();
        std::string serial = std::to_string(index_) + "-" + std::to_string(counter_++);
        std::string id = !o_.username.empty()                                        ? o_.username + "-" + serial
                         : a->context < common_names_.size() && !common_names_[a->context].empty() ? "lamp-" + common_names_[a->context]
                                                                                      : "bench-" + serial;
        a->out = connect_packet(id, o_);
        return a;
    }

    void advance(Attempt& a) {
        using Step = Attempt::Step;
        if (a.step == Step::connecting) {
            int err = 0;
            socklen_t len = sizeof err;
            ::getsockopt(a.fd, SOL_SOCKET, SO_ERROR, &err, &len);
            if (err != 0) return finish(a, false, false);
            if (contexts_.empty()) {
                a.step = Step::sending;
            } else {
                a.ssl = SSL_new(contexts_[a.context]);
                SSL_set_fd(a.ssl, a.fd);
                SSL_set_connect_state(a.ssl);
                a.step = Step::handshaking;
            }
        }
        if (a.step == Step::handshaking) {
            int rc = SSL_do_handshake(a.ssl);
            if (rc != 1) {
                int e = SSL_get_error(a.ssl, rc);
                if (e == SSL_ERROR_WANT_READ) { a.wants = POLLIN; return; }
                if (e == SSL_ERROR_WANT_WRITE) { a.wants = POLLOUT; return; }
                ERR_clear_error();
                return finish(a, false, false);
            }
            a.step = Step::sending;
        }
        if (a.step == Step::sending) {
            while (a.sent < a.out.size()) {
                long n = a.ssl ? SSL_write(a.ssl, a.out.data() + a.sent, static_cast<int>(a.out.size() - a.sent))
                               : ::send(a.fd, a.out.data() + a.sent, a.out.size() - a.sent, MSG_NOSIGNAL);
                if (n <= 0) {
                    if (a.ssl && SSL_get_error(a.ssl, static_cast<int>(n)) == SSL_ERROR_WANT_WRITE) { a.wants = POLLOUT; return; }
                    if (!a.ssl && (errno == EAGAIN || errno == EWOULDBLOCK)) { a.wants = POLLOUT; return; }
                    ERR_clear_error();
                    return finish(a, false, false);
                }
                a.sent += static_cast<std::size_t>(n);
            }
            a.step = Step::reading;
            a.wants = POLLIN;
        }
        if (a.step == Step::reading) {
            char buf[256];
            for (;;) {
                long n = a.ssl ? SSL_read(a.ssl, buf, sizeof buf) : ::recv(a.fd, buf, sizeof buf, 0);
                if (n > 0) {
                    a.in.append(buf, static_cast<std::size_t>(n));
                    if (mqtt::decode(a.in).status != mqtt::DecodeStatus::need_more) break;
                    continue;
                }
                if (a.ssl) {
                    int e = SSL_get_error(a.ssl, static_cast<int>(n));
                    if (e == SSL_ERROR_WANT_READ) return;
                } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                    return;
                }
                ERR_clear_error();
                return finish(a, false, false);
            }
            mqtt::Decoded answer = mqtt::decode(a.in);
            bool connack = answer.status == mqtt::DecodeStatus::ok && answer.packet.type == mqtt::PacketType::connack;
            bool accepted = connack && answer.packet.return_code == 0;
            if (accepted) {
                std::string disconnect;
                mqtt::encode_disconnect(disconnect);
                if (a.ssl) SSL_write(a.ssl, disconnect.data(), static_cast<int>(disconnect.size()));
                else ::send(a.fd, disconnect.data(), disconnect.size(), MSG_NOSIGNAL);
            }
            finish(a, accepted, connack && !accepted);
        }
    }

    void finish(Attempt& a, bool ok, bool refused) {
        a.step = Attempt::Step::done;
        if (ok) {
            totals_.ok++;
            totals_.latency_us += std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - a.started).count();
        } else if (refused) {
            totals_.refused++;
        } else {
            totals_.failed++;
        }
    }

    const Options& o_;
    int index_;
    Totals& totals_;
    std::vector<SSL_CTX*> contexts_;
    std::vector<std::string> common_names_;  // per context: the certificate's CN, or ""
    std::size_t next_context_ = 0;
    long counter_ = 0;
};

int usage() {
    std::fprintf(stderr,
                 "usage: connect_rate --port N [--seconds S] [--threads T] [--concurrency C] [--cafile CA "
                 "[--cert C --key K]...] [--username U --password P] [--json]\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    Options o;
    std::string pending_cert;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
        if (a == "--port") o.port = std::atoi(value().c_str());
        else if (a == "--seconds") o.seconds = std::atof(value().c_str());
        else if (a == "--threads") o.threads = std::atoi(value().c_str());
        else if (a == "--concurrency") o.concurrency = std::atoi(value().c_str());
        else if (a == "--cafile") o.cafile = value();
        else if (a == "--cert") pending_cert = value();
        else if (a == "--key") o.identities.emplace_back(pending_cert, value());
        else if (a == "--username") o.username = value();
        else if (a == "--password") o.password = value();
        else if (a == "--json") o.json = true;
        else return usage();
    }
    if (o.port <= 0 || o.threads < 1 || o.concurrency < 1 || o.seconds <= 0) return usage();

    Totals totals;
    auto start = Clock::now();
    auto until = start + std::chrono::milliseconds(static_cast<long>(o.seconds * 1000));
    std::vector<std::unique_ptr<Worker>> workers;
    for (int t = 0; t < o.threads; ++t) workers.push_back(std::make_unique<Worker>(o, t, totals));
    std::vector<std::thread> threads;
    for (auto& w : workers) threads.emplace_back([&w, until] { w->run(until); });
    for (auto& t : threads) t.join();
    double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    double rate = static_cast<double>(totals.ok) / elapsed;
    double mean_ms = totals.ok ? static_cast<double>(totals.latency_us) / 1000.0 / static_cast<double>(totals.ok) : 0;
    const char* mode = o.cafile.empty() ? "tcp" : (o.identities.empty() ? "tls" : "mtls");
    if (o.json) {
        std::printf("{\"mode\":\"%s\",\"port\":%d,\"seconds\":%.2f,\"ok\":%ld,\"refused\":%ld,\"failed\":%ld,"
                    "\"connects_per_s\":%.1f,\"mean_ms\":%.2f}\n",
                    mode, o.port, elapsed, totals.ok.load(), totals.refused.load(), totals.failed.load(), rate, mean_ms);
    } else {
        std::printf("%-4s port %d: %.1f connects/s (%ld ok, %ld refused, %ld failed in %.1f s; mean %.2f ms each)\n",
                    mode, o.port, rate, totals.ok.load(), totals.refused.load(), totals.failed.load(), elapsed, mean_ms);
    }
    return totals.ok > 0 ? 0 : 1;
}
