// libFuzzer: the MQTT relay's request handling entry point - the rules that
// decide whether a request may open a relayed WebSocket (Upgrade, Connection,
// Sec-WebSocket-* and Origin headers, in any number and order), and the parser
// of the relay's broker endpoint - must never crash or hang. Beast parses the
// HTTP and WebSocket framing itself (its own fuzzing covers those).
//
// Input layout: the first byte picks the method, TLS and the configured
// origins; the rest is "Name: value" lines (headers), the last line the broker
// endpoint text.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/relay_policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace lampi::cloud::http;
    if (size == 0) return 0;
    const std::uint8_t flags = data[0];
    std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

    Request request;
    request.method = (flags & 1) ? "POST" : "GET";
    request.path = "/mqtt";
    request.secure = (flags & 2) != 0;
    RelayOptions options;
    options.broker = "unix:/tmp/fuzz.sock";
    options.max_connections = 4;
    if (flags & 4) options.allowed_origins = {"https://lampi.example.com", "https://127.0.0.1:18832"};

    std::string_view last;
    while (!input.empty()) {
        std::size_t end = input.find('\n');
        std::string_view line = input.substr(0, end);
        input = end == std::string_view::npos ? std::string_view{} : input.substr(end + 1);
        last = line;
        std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        request.headers.push_back({std::string(line.substr(0, colon)), std::string(line.substr(colon + 1))});
    }
    (void)is_relay_request(request, options);
    (void)check_relay_request(request, options, flags >> 4);
    (void)parse_broker_endpoint(last);
    return 0;
}
