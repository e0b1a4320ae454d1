#include "http_client.h"

#include <curl/curl.h>

#include <mutex>
#include <sstream>

namespace lampi::testing {
namespace {

std::size_t collect(char* data, std::size_t size, std::size_t count, void* out) {
    static_cast<std::string*>(out)->append(data, size * count);
    return size * count;
}

}  // namespace

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
    std::string out;
    for (const auto& [key, value] : fields) {
        if (!out.empty()) out += '&';
        char* k = curl_easy_escape(nullptr, key.c_str(), static_cast<int>(key.size()));
        char* v = curl_easy_escape(nullptr, value.c_str(), static_cast<int>(value.size()));
        out += std::string(k) + "=" + v;
        curl_free(k);
        curl_free(v);
    }
    return out;
}

HttpClient::HttpClient(std::string base_url, std::string ca_file)
    : base_url_(std::move(base_url)), ca_file_(std::move(ca_file)) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    curl_ = curl_easy_init();
    curl_easy_setopt(static_cast<CURL*>(curl_), CURLOPT_COOKIEFILE, "");  // in-memory cookie jar
}

HttpClient::~HttpClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

HttpResponse HttpClient::request(const std::string& method, const std::string& path, const std::string& body,
                                 const std::vector<std::string>& headers) {
    CURL* curl = static_cast<CURL*>(curl_);
    HttpResponse response;
    std::string url = base_url_ + path;
    curl_slist* list = nullptr;
    for (const std::string& h : headers) list = curl_slist_append(list, h.c_str());
    char error[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    if (!ca_file_.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file_.c_str());
    if (method == "GET") {
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    }
    CURLcode rc = curl_easy_perform(curl);
    curl_slist_free_all(list);
    if (rc != CURLE_OK) {
        response.error = error[0] ? error : curl_easy_strerror(rc);
        return response;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
    char* location = nullptr;
    curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &location);
    if (location) response.location = location;
    return response;
}

HttpResponse HttpClient::get(const std::string& path, const std::vector<std::string>& headers) {
    return request("GET", path, "", headers);
}

HttpResponse HttpClient::post(const std::string& path, const std::string& body, const std::string& content_type,
                              const std::vector<std::string>& headers) {
    std::vector<std::string> all = headers;
    all.push_back("Content-Type: " + content_type);
    return request("POST", path, body, all);
}

std::string HttpClient::cookie(const std::string& name) const {
    curl_slist* cookies = nullptr;
    curl_easy_getinfo(static_cast<CURL*>(curl_), CURLINFO_COOKIELIST, &cookies);
    std::string value;
    for (curl_slist* c = cookies; c; c = c->next) {
        // Netscape format: domain, flag, path, secure, expiry, name, value (tab-separated).
        std::stringstream line(c->data);
        std::string field[7];
        for (auto& f : field) std::getline(line, f, '\t');
        if (field[5] == name) value = field[6];
    }
    curl_slist_free_all(cookies);
    return value;
}

bool HttpClient::login(const std::string& username, const std::string& password) {
    if (get("/accounts/login/?next=/").status != 200) return false;
    std::string csrf = cookie("csrftoken");
    auto response = post("/accounts/login/?next=/",
                         form_encode({{"csrfmiddlewaretoken", csrf}, {"username", username}, {"password", password}}),
                         "application/x-www-form-urlencoded", {"Referer: " + base_url_ + "/accounts/login/"});
    return response.status == 302;
}

}  // namespace lampi::testing
