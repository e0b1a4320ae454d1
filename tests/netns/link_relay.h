// Test support: a slow, lossy link where the kernel offers none (no netem, no
// tc actions here). A TCP relay inside a network namespace holds every chunk it
// reads for a fixed delay in each direction; a share of the chunks, drawn at
// random, is held one retransmission timeout longer, which is what a lost
// segment costs a TCP connection. Order within a connection is kept, as TCP
// keeps it. Runs on its own thread until destroyed.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

namespace lampi::testing {

struct LinkImpairment {
    std::chrono::milliseconds delay{100};       // each way
    double loss = 0.05;                         // share of chunks lost once
    std::chrono::milliseconds retransmit{200};  // Linux's minimum retransmission timeout
};

class LinkRelay {
public:
    // Listens on listen_address:port inside the namespace `netns` (a name from
    // `ip netns`) and relays each connection to target_address:port from there.
    LinkRelay(std::string netns, std::string listen_address, int listen_port, std::string target_address,
              int target_port, LinkImpairment impairment);
    ~LinkRelay();
    LinkRelay(const LinkRelay&) = delete;
    LinkRelay& operator=(const LinkRelay&) = delete;

    // Empty once it listens, else why it could not; waits for the answer.
    std::string wait_listening();
    std::uint64_t chunks_relayed() const { return relayed_; }
    std::uint64_t chunks_lost() const { return lost_; }

private:
    void run();

    std::string netns_, listen_address_, target_address_;
    int listen_port_, target_port_;
    LinkImpairment impairment_;
    std::atomic<bool> stop_{false};
    std::atomic<int> state_{0};  // 0 starting, 1 listening, -1 failed
    std::string error_;
    std::atomic<std::uint64_t> relayed_{0}, lost_{0};
    std::thread thread_;
};

}  // namespace lampi::testing
