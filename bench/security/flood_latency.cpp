// flood_latency: lamp -> owner latency through the cloud broker, quiet and under
// a flood of junk CONNECTs (random usernames, TLS, a fixed rate). Issue 8 item 2:
// with the plugin calling the cloud on the broker's thread, these floods took p50
// from 0.8 ms to 2.1 s; the target is p99 < 50 ms. Prints figures; not a test.
//
//   flood_latency --cafile ca.pem --lamp-port P --lamp-cert c.pem --lamp-key k.pem --device ID
//                 --client-port Q --owner-user web-… --owner-password v1.… [--seconds 20] [--junk-per-s 30]
//                 [--phase quiet|flood]
//
// The "lamp" publishes devices/<ID>/lamp/changed (QoS 0) every 20 ms with its
// send time; the "owner" (a person's signed credential, as the page uses)
// receives it. Everything is raw MQTT 3.1.1 over OpenSSL, one thread each.
// Build: bench/security/floods.sh compiles it (g++ -O2, OpenSSL 3).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
    std::string cafile, lamp_cert, lamp_key, device, owner_user, owner_password;
    int lamp_port = 0, client_port = 0, seconds = 20, junk_per_s = 30;
};

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

void put_u16(std::string& out, std::size_t v) {
    out += static_cast<char>((v >> 8) & 0xff);
    out += static_cast<char>(v & 0xff);
}
void put_string(std::string& out, const std::string& s) {
    put_u16(out, s.size());
    out += s;
}
std::string packet(unsigned char type, const std::string& body) {
    std::string out(1, static_cast<char>(type));
    std::size_t length = body.size();
    do {
        unsigned char byte = length % 128;
        length /= 128;
        if (length > 0) byte |= 0x80;
        out += static_cast<char>(byte);
    } while (length > 0);
    return out + body;
}
std::string connect_packet(const std::string& id, const std::string& user, const std::string& password) {
    std::string body;
    put_string(body, "MQTT");
    body += static_cast<char>(4);
    unsigned char flags = 0x02;
    if (!user.empty()) flags |= 0x80;
    if (!password.empty()) flags |= 0x40;
    body += static_cast<char>(flags);
    put_u16(body, 30);
    put_string(body, id);
    if (!user.empty()) put_string(body, user);
    if (!password.empty()) put_string(body, password);
    return packet(0x10, body);
}

// One blocking TLS connection.
class Link {
public:
    Link(const Options& o, int port, const std::string& cert, const std::string& key) {
        ctx_ = SSL_CTX_new(TLS_client_method());
        SSL_CTX_load_verify_locations(ctx_, o.cafile.c_str(), nullptr);
        SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
        if (!cert.empty()) {
            SSL_CTX_use_certificate_chain_file(ctx_, cert.c_str());
            SSL_CTX_use_PrivateKey_file(ctx_, key.c_str(), SSL_FILETYPE_PEM);
        }
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        timeval tv{5, 0};
        setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<std::uint16_t>(port));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return;
        ssl_ = SSL_new(ctx_);
        SSL_set_fd(ssl_, fd_);
        ok_ = SSL_connect(ssl_) == 1;
    }
    ~Link() {
        if (ssl_) SSL_free(ssl_);
        if (fd_ >= 0) ::close(fd_);
        SSL_CTX_free(ctx_);
    }
    bool ok() const { return ok_; }
    bool send(const std::string& bytes) { return ok_ && SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())) > 0; }
    // One whole packet: first byte and body; false on error or timeout.
    bool read(unsigned char& type, std::string& body) {
        while (true) {
            if (buffer_.size() >= 2) {
                std::size_t length = 0, multiplier = 1, i = 1;
                bool complete = false;
                for (; i < buffer_.size() && i <= 4; ++i) {
                    auto byte = static_cast<unsigned char>(buffer_[i]);
                    length += (byte & 0x7f) * multiplier;
                    multiplier *= 128;
                    if ((byte & 0x80) == 0) {
                        complete = true;
                        break;
                    }
                }
                if (complete && buffer_.size() >= i + 1 + length) {
                    type = static_cast<unsigned char>(buffer_[0]);
                    body = buffer_.substr(i + 1, length);
                    buffer_.erase(0, i + 1 + length);
                    return true;
                }
            }
            char chunk[16384];
            int n = SSL_read(ssl_, chunk, sizeof chunk);
            if (n <= 0) return false;
            buffer_.append(chunk, static_cast<std::size_t>(n));
        }
    }
    // CONNECT and the CONNACK's return code (-1: none).
    int handshake(const std::string& id, const std::string& user, const std::string& password) {
        if (!send(connect_packet(id, user, password))) return -1;
        unsigned char type = 0;
        std::string body;
        if (!read(type, body) || type != 0x20 || body.size() < 2) return -1;
        return static_cast<unsigned char>(body[1]);
    }

private:
    SSL_CTX* ctx_ = nullptr;
    SSL* ssl_ = nullptr;
    int fd_ = -1;
    bool ok_ = false;
    std::string buffer_;
};

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

int run(const Options& o, bool flood) {
    const std::string topic = "devices/" + o.device + "/lamp/changed";
    Link owner(o, o.client_port, "", "");
    if (!owner.ok() || owner.handshake(o.owner_user + "-bench", o.owner_user, o.owner_password) != 0) {
        std::fprintf(stderr, "the owner could not connect\n");
        return 1;
    }
    std::string subscribe;
    put_u16(subscribe, 1);
    put_string(subscribe, topic);
    subscribe += static_cast<char>(0);
    owner.send(packet(0x82, subscribe));
    Link lamp(o, o.lamp_port, o.lamp_cert, o.lamp_key);
    if (!lamp.ok() || lamp.handshake("lamp-" + o.device, o.device, "") != 0) {
        std::fprintf(stderr, "the lamp could not connect\n");
        return 1;
    }
    std::atomic<bool> stop{false};
    std::vector<double> latencies;
    std::mutex latencies_mutex;
    std::thread receiver([&] {
        unsigned char type = 0;
        std::string body;
        while (!stop && owner.read(type, body)) {
            if ((type & 0xf0) != 0x30 || body.size() < 2) continue;
            std::size_t length = (static_cast<unsigned char>(body[0]) << 8) | static_cast<unsigned char>(body[1]);
            std::string payload = body.substr(2 + length);
            std::size_t at = payload.find("\"sent_ns\":");
            if (at == std::string::npos) continue;
            std::int64_t sent = std::atoll(payload.c_str() + at + 10);
            std::lock_guard lock(latencies_mutex);
            latencies.push_back(static_cast<double>(now_ns() - sent) / 1e6);
        }
    });
    std::atomic<int> junk_sent{0}, junk_refused{0}, junk_slow{0};
    std::vector<double> junk_ms;
    std::mutex junk_mutex;
    std::vector<std::thread> junkers;
    if (flood) {
        // Each junk CONNECT on its own thread: a slow broker answer must not slow the rate.
        junkers.emplace_back([&] {
            std::mt19937_64 random(42);
            auto next = Clock::now();
            std::vector<std::thread> inflight;
            while (!stop) {
                next += std::chrono::microseconds(1'000'000 / std::max(1, o.junk_per_s));
                std::this_thread::sleep_until(next);
                std::string name = "junk" + std::to_string(random() % 100000000);
                inflight.emplace_back([&, name] {
                    auto start = Clock::now();
                    Link junk(o, o.client_port, "", "");
                    int code = junk.ok() ? junk.handshake(name, name, "password") : -1;
                    double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
                    ++junk_sent;
                    if (code > 0) ++junk_refused;
                    if (ms > 1000) ++junk_slow;
                    std::lock_guard lock(junk_mutex);
                    junk_ms.push_back(ms);
                });
            }
            for (auto& t : inflight) t.join();
        });
    }
    auto end = Clock::now() + std::chrono::seconds(o.seconds);
    int sent = 0;
    while (Clock::now() < end) {
        std::string body;
        put_string(body, topic);
        body += "{\"on\":true,\"client\":\"bench\",\"sent_ns\":" + std::to_string(now_ns()) + "}";
        lamp.send(packet(0x30, body));
        ++sent;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    stop = true;
    for (auto& t : junkers) t.join();
    receiver.detach();
    std::lock_guard lock(latencies_mutex);
    std::printf("%-6s lamp->owner: sent %d, received %zu, p50 %.2f ms, p99 %.2f ms, max %.2f ms", flood ? "flood" : "quiet",
                sent, latencies.size(), percentile(latencies, 0.5), percentile(latencies, 0.99),
                percentile(latencies, 1.0));
    if (flood) {
        std::lock_guard junk_lock(junk_mutex);
        std::printf("; junk CONNECTs: %d sent, %d refused (CONNACK 5), connect+refusal p50 %.1f ms, p99 %.1f ms, %d over 1 s",
                    junk_sent.load(), junk_refused.load(), percentile(junk_ms, 0.5), percentile(junk_ms, 0.99),
                    junk_slow.load());
    }
    std::printf("\n");
    std::fflush(stdout);
    std::_Exit(0);  // the receiver may still block in a read
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    bool flood = false;
    std::map<std::string, std::string*> text{{"--cafile", &o.cafile},         {"--lamp-cert", &o.lamp_cert},
                                             {"--lamp-key", &o.lamp_key},     {"--device", &o.device},
                                             {"--owner-user", &o.owner_user}, {"--owner-password", &o.owner_password}};
    std::map<std::string, int*> numbers{{"--lamp-port", &o.lamp_port}, {"--client-port", &o.client_port},
                                        {"--seconds", &o.seconds}, {"--junk-per-s", &o.junk_per_s}};
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string key = argv[i];
        if (text.count(key)) *text[key] = argv[i + 1];
        else if (numbers.count(key)) *numbers[key] = std::atoi(argv[i + 1]);
        else if (key == "--phase") flood = std::string(argv[i + 1]) == "flood";
        else {
            std::fprintf(stderr, "unknown option %s\n", key.c_str());
            return 2;
        }
    }
    return run(o, flood);
}
