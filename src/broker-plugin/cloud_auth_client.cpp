#include "cloud_auth_client.h"

#include <curl/curl.h>
#include <fmt/core.h>

#include <boost/json.hpp>
#include <mutex>

namespace json = boost::json;

namespace lampi::broker {
namespace {

constexpr std::size_t kMaxAnswerBytes = 256 * 1024;

void init_curl_once() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::size_t collect(char* data, std::size_t size, std::size_t count, void* out) {
    auto* body = static_cast<std::string*>(out);
    std::size_t bytes = size * count;
    if (body->size() + bytes > kMaxAnswerBytes) return 0;  // aborts the transfer
    body->append(data, bytes);
    return bytes;
}

}  // namespace

struct CloudAuthClient::Handle {
    CURL* curl = nullptr;
    curl_slist* headers = nullptr;
    ~Handle() {
        if (headers) curl_slist_free_all(headers);
        if (curl) curl_easy_cleanup(curl);
    }
};

CloudAuthClient::CloudAuthClient(CloudAuthOptions options) : options_(std::move(options)), handle_(new Handle) {
    init_curl_once();
    handle_->curl = curl_easy_init();
    handle_->headers = curl_slist_append(handle_->headers, "Content-Type: application/json");
    if (!options_.secret.empty()) {
        handle_->headers =
            curl_slist_append(handle_->headers, fmt::format("X-Lampi-Auth-Secret: {}", options_.secret).c_str());
    }
}

CloudAuthClient::~CloudAuthClient() = default;

Result<AuthAnswer> CloudAuthClient::check_user(const Credentials& credentials, std::string_view client_id) {
    CURL* curl = handle_->curl;
    if (!curl) return Status::error("libcurl could not start");
    std::string request = json::serialize(json::object{
        {"username", credentials.username}, {"password", credentials.password}, {"clientid", client_id}});
    std::string body;
    char error[CURL_ERROR_SIZE] = {};
    // The same easy handle keeps its connection open between calls (keep-alive).
    curl_easy_setopt(curl, CURLOPT_URL, options_.url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, handle_->headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.size()));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
    if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
    CURLcode rc = curl_easy_perform(curl);
    if (rc != CURLE_OK) {
        return Status::error(fmt::format("cannot reach the cloud auth API at {}: {}", options_.url,
                                         error[0] ? error : curl_easy_strerror(rc)));
    }
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) {
        return Status::error(fmt::format("the cloud auth API at {} answered HTTP {} (check the plugin's secret)",
                                         options_.url, status));
    }
    return parse_auth_answer(body);
}

}  // namespace lampi::broker
