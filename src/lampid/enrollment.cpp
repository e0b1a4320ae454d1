#include "enrollment.h"

#include <unistd.h>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/core.h>

#include <ctime>
#include <utility>
#include <vector>

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

Result<std::int64_t> certificate_expires_at(const std::string& cert_file) {
    Result<ca::X509Ptr> cert = ca::load_certificate(cert_file);
    if (!cert) return cert.status();
    Result<std::time_t> expires = ca::asn1_time_to_time_t(X509_get0_notAfter(cert->get()));
    if (!expires) return expires.status();
    return static_cast<std::int64_t>(*expires);
}

std::string default_chain_file(const std::string& cert_file) {
    std::size_t slash = cert_file.rfind('/');
    std::size_t dot = cert_file.rfind('.');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return cert_file + "-chain";
    return cert_file.substr(0, dot) + "-chain" + cert_file.substr(dot);
}

namespace {

// The lamp's new key, and a request for it with CN = the device id.
struct NewRequest {
    ca::PkeyPtr key;
    std::string csr;
};

Result<NewRequest> new_key_and_request(const std::string& device_id) {
    Result<ca::PkeyPtr> key = ca::generate_key(ca::KeyType::ec_p256);
    if (!key) return key.status();
    Result<std::string> csr = ca::make_request_pem(key->get(), device_id);
    if (!csr) return csr.status();
    return NewRequest{std::move(key).value(), std::move(csr).value()};
}

Status check_required(const EnrollOptions& o) {
    std::vector<std::pair<const std::string*, const char*>> required{
        {&o.cloud_url, "--cloud"}, {&o.ca_file, "--ca-file"}, {&o.key_file, "--key-file"}, {&o.cert_file, "--cert-file"}};
    if (!o.renew) required.insert(required.begin() + 1, {&o.token_file, "--token-file"});
    for (auto [value, option] : required) {
        if (value->empty()) return Status::invalid_argument(fmt::format("{} is required", option));
    }
    return Status::ok();
}

// Posts `request` to `path`, checks the certificate that comes back is for
// `key` and `device_id`, and writes key, certificate and chain.
Result<Enrollment> post_and_write(const EnrollOptions& o, const HttpsUrl& url, const std::string& path,
                                  const json::object& request, EVP_PKEY* key, const std::string& device_id) {
    std::string chain_file = o.chain_file.empty() ? default_chain_file(o.cert_file) : o.chain_file;
    Result<HttpAnswer> answer = https_post_json(url, path, json::serialize(request), o.ca_file, o.timeout);
    if (!answer) return answer.status();
    if (answer->status != 200) {
        return Status::permission_denied(fmt::format("the cloud refused the {} (HTTP {}): {}",
                                                     o.renew ? "renewal" : "enrollment", answer->status,
                                                     refusal_text(*answer)));
    }
    auto body = parse_json_object(answer->body, "the cloud's answer");
    if (!body) return body.status();
    std::string cert_pem = string_field(*body, "certificate");
    std::string chain_pem = string_field(*body, "chain");
    const json::value* expires = body->if_contains("expires_at");
    if (chain_pem.empty() || !expires || !expires->is_int64()) {
        return Status::error("the cloud's answer lacks the certificate, the chain or expires_at");
    }
    if (Status s = check_issued(cert_pem, key, device_id); !s) return s;

    Result<ca::SecretString> key_pem = ca::private_key_pem(key);
    if (!key_pem) return key_pem.status();
    if (Status s = write_file_atomically(o.key_file, key_pem->str(), o.key_readable_by_group ? 0640 : 0600); !s)
        return s;
    if (Status s = write_file_atomically(o.cert_file, cert_pem, 0644); !s) return s;
    if (Status s = write_file_atomically(chain_file, chain_pem, 0644); !s) return s;
    Enrollment done;
    done.device_id = device_id;
    done.serial = string_field(*body, "serial");
    done.chain_file = chain_file;
    done.expires_at = expires->as_int64();
    return done;
}

Result<Enrollment> renew_device(const EnrollOptions& o, const HttpsUrl& url) {
    Result<ca::X509Ptr> current = ca::load_certificate(o.cert_file);
    if (!current) {
        return Status::invalid_argument(
            fmt::format("no current certificate to renew: {}", current.status().message()));
    }
    Result<std::time_t> expires = ca::asn1_time_to_time_t(X509_get0_notAfter(current->get()));
    if (!expires) return expires.status();
    std::time_t now = std::time(nullptr);
    if (o.renew_within_days > 0 && *expires - now > std::int64_t{o.renew_within_days} * 86400) {
        Enrollment nothing;
        nothing.renewed_nothing = true;
        nothing.current_expires_at = *expires;
        return nothing;
    }
    Result<ca::PkeyPtr> current_key = ca::load_private_key(o.key_file);
    if (!current_key) return current_key.status();
    if (X509_check_private_key(current->get(), current_key->get()) != 1) {
        ca::clear_openssl_errors();
        return Status::invalid_argument(fmt::format("{} is not the key of {}", o.key_file, o.cert_file));
    }
    std::string device_id = ca::subject_common_name(current->get());
    if (!is_valid_device_id(device_id)) {
        return Status::invalid_argument(fmt::format("{} is not a lamp's certificate", o.cert_file));
    }
    Result<std::string> current_pem = ca::certificate_pem(current->get());
    if (!current_pem) return current_pem.status();
    Result<NewRequest> next = new_key_and_request(device_id);
    if (!next) return next.status();
    Result<std::string> signature = ca::sign_renewal(current_key->get(), next->csr);
    if (!signature) return signature.status();
    json::object request;
    request["certificate"] = *current_pem;
    request["csr"] = next->csr;
    request["signature"] = *signature;
    return post_and_write(o, url, "/api/v1/enroll/renew", request, next->key.get(), device_id);
}

}  // namespace

Result<Enrollment> enroll_device(const EnrollOptions& o) {
    if (Status s = check_required(o); !s) return s;
    Result<HttpsUrl> url = parse_https_url(o.cloud_url);
    if (!url) return url.status();
    if (o.renew) return renew_device(o, *url);
    if (!o.force) {
        for (const std::string& path : {o.key_file, o.cert_file}) {
            if (::access(path.c_str(), F_OK) == 0) {
                return Status::already_exists(
                    fmt::format("{} already exists: this lamp looks enrolled; use --renew, or --force to replace "
                                "its key and certificate",
                                path));
            }
        }
    }
    Result<std::string> device_id = device_id_of(o);
    if (!device_id) return Status::invalid_argument(fmt::format("no device id: {}", device_id.status().message()));
    Result<std::string> token = read_secret_file(o.token_file);
    if (!token) return token.status();

    Result<NewRequest> next = new_key_and_request(*device_id);
    if (!next) return next.status();
    json::object request;
    request["token"] = *token;
    request["csr"] = next->csr;
    return post_and_write(o, *url, "/api/v1/enroll", request, next->key.get(), *device_id);
}

int run_enroll(const EnrollOptions& options) {
    Result<Enrollment> done = enroll_device(options);
    if (!done) {
        fmt::print(stderr, "lampid enroll: {}\n", done.status().message());
        return 1;
    }
    if (done->renewed_nothing) {
        fmt::print("not renewed: {} is valid until {}, more than {} days from now\n", options.cert_file,
                   ca::format_utc(static_cast<std::time_t>(done->current_expires_at)), options.renew_within_days);
        return 0;
    }
    fmt::print("{} {}: certificate serial {} valid until {}\n  key         {}\n  certificate {}\n  chain       {}\n",
               options.renew ? "renewed" : "enrolled", done->device_id, done->serial,
               ca::format_utc(static_cast<std::time_t>(done->expires_at)), options.key_file, options.cert_file,
               done->chain_file);
    return 0;
}

}  // namespace lampi::lampid
