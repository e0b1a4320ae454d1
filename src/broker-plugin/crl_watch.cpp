#include "crl_watch.h"

#include <openssl/pem.h>
#include <sys/stat.h>

#include <cstdio>

namespace lampi::broker {

CrlHandle CrlWatch::poll() {
    struct stat info {};
    if (path_.empty() || ::stat(path_.c_str(), &info) != 0) return nullptr;
    if (info.st_mtim.tv_sec == seen_mtime_.tv_sec && info.st_mtim.tv_nsec == seen_mtime_.tv_nsec &&
        info.st_size == seen_size_) {
        return nullptr;
    }
    std::FILE* file = std::fopen(path_.c_str(), "r");
    if (!file) return nullptr;
    CrlHandle crl(PEM_read_X509_CRL(file, nullptr, nullptr, nullptr));
    std::fclose(file);
    if (!crl) return nullptr;  // being rewritten: try again at the next poll
    seen_mtime_ = info.st_mtim;
    seen_size_ = info.st_size;
    return crl;
}

bool is_revoked(X509_CRL* crl, X509* certificate) {
    X509_REVOKED* entry = nullptr;
    return crl && certificate && X509_CRL_get0_by_cert(crl, &entry, certificate) == 1;
}

}  // namespace lampi::broker
