// Test support: an HTTP(S) client with a cookie jar, for driving lampi-cloud the
// way a browser or script does (libcurl underneath).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace lampi::testing {

struct HttpResponse {
    long status = 0;           // 0 when the request failed in transport
    std::string body;
    std::string location;      // the Location header of a redirect
    std::string error;         // transport error, if any
};

class HttpClient {
public:
    // `ca_file` verifies HTTPS servers; empty for plain HTTP.
    explicit HttpClient(std::string base_url, std::string ca_file = "");
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    HttpResponse get(const std::string& path, const std::vector<std::string>& headers = {});
    HttpResponse post(const std::string& path, const std::string& body, const std::string& content_type,
                      const std::vector<std::string>& headers = {});
    HttpResponse request(const std::string& method, const std::string& path, const std::string& body,
                         const std::vector<std::string>& headers);

    std::string cookie(const std::string& name) const;
    // The Django-style login: GET the form (csrftoken cookie), POST it. True on a 302.
    bool login(const std::string& username, const std::string& password);

private:
    std::string base_url_;
    std::string ca_file_;
    void* curl_;
};

// Form-encodes key=value pairs.
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace lampi::testing
