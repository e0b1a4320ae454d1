// Loaded into the lamp's Mosquitto (LD_PRELOAD): every TCP socket it connects,
// which is its bridge to the cloud, sends without Nagle's algorithm.
//
// Why: Mosquitto 2.0.11 sets TCP_NODELAY only on the sockets it accepts
// (`set_tcp_nodelay`), never on a bridge's. A lamp acknowledges a command (PUBACK)
// and then reports its new state on the same socket; the cloud delays its TCP
// ACK of the PUBACK by up to 40 ms, and Nagle holds the state report until that
// ACK arrives. That was a steady ~40 ms on every lamp -> cloud report.
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace {

using ConnectFunction = int (*)(int, const sockaddr*, socklen_t);

bool is_tcp(int fd, const sockaddr* address) {
    if (address == nullptr || (address->sa_family != AF_INET && address->sa_family != AF_INET6)) return false;
    int type = 0;
    socklen_t length = sizeof type;
    return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0 && type == SOCK_STREAM;
}

// Looked up on first use; two threads racing would store the same pointer. A
// function-local static would need libstdc++'s guard, which this library avoids.
ConnectFunction next_connect = nullptr;

}  // namespace

extern "C" int connect(int fd, const sockaddr* address, socklen_t length) {
    if (next_connect == nullptr) next_connect = reinterpret_cast<ConnectFunction>(dlsym(RTLD_NEXT, "connect"));
    if (is_tcp(fd, address)) {
        int on = 1;
        // Best effort: a socket that refuses the option still connects, as before.
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    }
    return next_connect(fd, address, length);
}
