// Source addresses for many connections to one broker.
//
// Linux gives each (source address, destination) pair about 28 000 ephemeral
// ports (net.ipv4.ip_local_port_range), so past that one process must connect
// from several source addresses. Every 127.0.0.x is local on Linux, so against a
// loopback broker we spread connections over 127.0.0.1, 127.0.0.2, ...
//
// Well before the range runs out, connect() gets slow: the kernel searches for
// a free port by probing used ones, so the cost of each connect grows with how
// full the source's range is. A fleet run of 19 800 lamps from one address spent
// 9.8 s of kernel CPU (most of it in __inet_check_established) and its connects
// took up to 9 s; spread over five addresses the same run spent 2.3 s and its
// connects 18 ms at most. So an address takes at most a few thousand connections.
#pragma once

#include <string>
#include <vector>

namespace lampi::load {

inline constexpr int kConnectionsPerSourceAddress = 4'000;

bool is_loopback_host(const std::string& host);

// `explicit_addresses` wins when given; otherwise loopback hosts get as many
// 127.0.0.x addresses as `connections` needs, and others get none (the kernel picks).
std::vector<std::string> choose_source_addresses(const std::string& host, std::size_t connections,
                                                 const std::vector<std::string>& explicit_addresses);

}  // namespace lampi::load
