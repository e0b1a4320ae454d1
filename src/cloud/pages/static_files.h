// Serves files under one directory at /static/. Refuses anything that could
// leave it: "..", absolute paths, hidden files, NUL, and symlinks pointing
// outside. Only regular files up to 16 MiB are served.
//
// A file once read is kept with its answer ready (body, Content-Type, ETag,
// Last-Modified), so a request costs one stat(): the answer is reused only while
// the path still leads to the same file (device, inode, size, mtime, ctime),
// which was inside the directory when it was read; any change reads it again.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "http/message.h"

namespace lampi::cloud::pages {

class StaticFiles {
public:
    // An empty `root` serves nothing (404).
    explicit StaticFiles(std::string root);
    // `relative` is the decoded path after /static/. With `request`, its
    // If-None-Match (else If-Modified-Since, compared exactly as nginx does) can
    // turn a 200 into a 304 without a body.
    http::Response serve(std::string_view relative, const http::Request* request = nullptr) const;

    struct Cache;

private:
    std::string root_;  // canonical
    std::shared_ptr<Cache> cache_;
};

std::string_view content_type_for(std::string_view path);

}  // namespace lampi::cloud::pages
