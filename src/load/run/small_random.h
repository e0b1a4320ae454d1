// SmallRandom: a uniform random bit generator whose whole state is 8 bytes
// (SplitMix64), for things there are tens of thousands of, such as simulated
// users: std::mt19937_64 would cost each of them 2.5 KB. Statistically fine for
// think times and jitter; not for anything secret.
#pragma once

#include <cstdint>
#include <limits>

namespace lampi::load {

class SmallRandom {
public:
    using result_type = std::uint64_t;
    explicit SmallRandom(std::uint64_t seed) : state_(seed) {}

    static constexpr result_type min() { return 0; }
    static constexpr result_type max() { return std::numeric_limits<result_type>::max(); }
    result_type operator()() {
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }

private:
    std::uint64_t state_;
};

}  // namespace lampi::load
