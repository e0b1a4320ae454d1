#include "enrollment.h"

#include <unistd.h>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/core.h>

#include "ca_store.h"
#include "device_request.h"
#include "https_post.h"
#include "key_files.h"
#include "lampi/device_id.h"
#include "lampi/files.h"
#include "lampi/json_object.h"

namespace lampi::lampid {
namespace json = boost::json;
namespace {

Result<std::string> device_id_of(const EnrollOptions& o) {
    if (o.device_id.empty()) return device_id_from_mac(o.sysfs_net);
    return normalize_device_id(o.device_id);
}

std::string string_field(const json::object& o, const char* key) {
    const json::value* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

// The cloud's {"error": ...} when it has one, else the start of the body.
std::string refusal_text(const HttpAnswer& answer) {
    auto body = parse_json_object(answer.body, "answer");
    if (body) {
        std::string error = string_field(*body, "error");
        std::string id = string_field(*body, "error_id");
        if (!error.empty()) return id.empty() ? error : fmt::format("{} (error id {})", error, id);
    }
    return answer.body.substr(0, 200);
}

// The certificate the cloud sent must be for the key we made and the id we asked for.
Status check_issued(const std::string& cert_pem, EVP_PKEY* key, const std::string& device_id) {
    Result<ca::X509Ptr> cert = ca::parse_certificate_pem(cert_pem);
    if (!cert) return Status::error("the cloud's answer holds no certificate");
    if (X509_check_private_key(cert->get(), key) != 1) {
        ca::clear_openssl_errors();
        return Status::error("the cloud sent a certificate for another key; nothing was written");
    }
    if (ca::subject_common_name(cert->get()) != device_id) {
        return Status::error(fmt::format("the cloud sent a certificate for {}, not {}; nothing was written",
                                         ca::subject_common_name(cert->get()), device_id));
    }
    return Status::ok();
}

}  // namespace

std::string default_chain_file(const std::string& cert_file) {
    std::size_t slash = cert_file.rfind('/');
    std::size_t dot = cert_file.rfind('.');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return cert_file + "-chain";
    return cert_file.substr(0, dot) + "-chain" + cert_file.substr(dot);
}

Result<Enrollment> enroll_device(const EnrollOptions& o) {
    for (auto [value, option] : {std::pair{&o.cloud_url, "--cloud"}, std::pair{&o.token_file, "--token-file"},
                                 std::pair{&o.ca_file, "--ca-file"}, std::pair{&o.key_file, "--key-file"},
                                 std::pair{&o.cert_file, "--cert-file"}}) {
        if (value->empty()) return Status::invalid_argument(fmt::format("{} is required", option));
    }
    Result<HttpsUrl> url = parse_https_url(o.cloud_url);
    if (!url) return url.status();
    std::string chain_file = o.chain_file.empty() ? default_chain_file(o.cert_file) : o.chain_file;
    if (!o.force) {
        for (const std::string& path : {o.key_file, o.cert_file}) {
            if (::access(path.c_str(), F_OK) == 0) {
                return Status::already_exists(
                    fmt::format("{} already exists: this lamp looks enrolled; pass --force to replace its key and "
                                "certificate",
                                path));
            }
        }
    }
    Result<std::string> device_id = device_id_of(o);
    if (!device_id) return Status::invalid_argument(fmt::format("no device id: {}", device_id.status().message()));
    Result<std::string> token = read_secret_file(o.token_file);
    if (!token) return token.status();

    Result<ca::PkeyPtr> key = ca::generate_key(ca::KeyType::ec_p256);
    if (!key) return key.status();
    Result<std::string> csr = ca::make_request_pem(key->get(), *device_id);
    if (!csr) return csr.status();
    json::object request;
    request["token"] = *token;
    request["csr"] = *csr;
    Result<HttpAnswer> answer = https_post_json(*url, "/api/v1/enroll", json::serialize(request), o.ca_file, o.timeout);
    if (!answer) return answer.status();
    if (answer->status != 200) {
        return Status::permission_denied(
            fmt::format("the cloud refused the enrollment (HTTP {}): {}", answer->status, refusal_text(*answer)));
    }
    auto body = parse_json_object(answer->body, "the cloud's answer");
    if (!body) return body.status();
    std::string cert_pem = string_field(*body, "certificate");
    std::string chain_pem = string_field(*body, "chain");
    const json::value* expires = body->if_contains("expires_at");
    if (chain_pem.empty() || !expires || !expires->is_int64()) {
        return Status::error("the cloud's answer lacks the certificate, the chain or expires_at");
    }
    if (Status s = check_issued(cert_pem, key->get(), *device_id); !s) return s;

    Result<ca::SecretString> key_pem = ca::private_key_pem(key->get());
    if (!key_pem) return key_pem.status();
    if (Status s = write_file_atomically(o.key_file, key_pem->str(), 0600); !s) return s;
    if (Status s = write_file_atomically(o.cert_file, cert_pem, 0644); !s) return s;
    if (Status s = write_file_atomically(chain_file, chain_pem, 0644); !s) return s;
    return Enrollment{*device_id, string_field(*body, "serial"), chain_file, expires->as_int64()};
}

int run_enroll(const EnrollOptions& options) {
    Result<Enrollment> done = enroll_device(options);
    if (!done) {
        fmt::print(stderr, "lampid enroll: {}\n", done.status().message());
        return 1;
    }
    fmt::print("enrolled {}: certificate serial {} valid until {}\n  key         {}\n  certificate {}\n  chain       {}\n",
               done->device_id, done->serial, ca::format_utc(static_cast<std::time_t>(done->expires_at)),
               options.key_file, options.cert_file, done->chain_file);
    return 0;
}

}  // namespace lampi::lampid
