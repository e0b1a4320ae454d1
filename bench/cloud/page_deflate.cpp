// What gzip would cost lampi-cloud per page: deflates one file (a page saved from
// GET /) N times with one zlib stream, reset between pages as a server keeping one
// stream per thread would, and prints the time per page. For a figure that does
// not depend on the machine's load, run it under callgrind with two values of N:
//   page_deflate PAGE LEVEL N
//   valgrind --tool=callgrind page_deflate PAGE 1 100; ... PAGE 1 300   (Ir difference / 200)
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: page_deflate PAGE LEVEL N\n");
        return 2;
    }
    std::ifstream in(argv[1], std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    const std::string page = text.str();
    const int level = std::atoi(argv[2]);
    const int rounds = std::atoi(argv[3]);
    std::string out(compressBound(static_cast<uLong>(page.size())) + 32, '\0');
    z_stream z{};
    if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return 1;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < rounds; ++i) {
        deflateReset(&z);
        z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(page.data()));
        z.avail_in = static_cast<uInt>(page.size());
        z.next_out = reinterpret_cast<Bytef*>(out.data());
        z.avail_out = static_cast<uInt>(out.size());
        if (deflate(&z, Z_FINISH) != Z_STREAM_END) return 1;
    }
    const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
    std::printf("%zu -> %lu bytes (gzip level %d): %.1f us a page\n", page.size(), z.total_out, level,
                rounds > 0 ? us / rounds : 0.0);
    deflateEnd(&z);
    return 0;
}
