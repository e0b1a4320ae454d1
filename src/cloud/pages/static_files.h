// Serves files under one directory at /static/. Refuses anything that could
// leave it: "..", absolute paths, hidden files, NUL, and symlinks pointing
// outside. Only regular files up to 16 MiB are served.
//
// A file once read is kept with its answer ready (body, Content-Type, ETag,
// Last-Modified): the answer is reused only while the path still leads to the
// same file (device, inode, size, mtime, ctime), which was inside the directory
// when it was read; any change reads it again. A path is stat()ed at most once a
// second (recent_stat.h), so a change on disk is served within a second.
//
// Text files may have gzip (.gz) and brotli (.br) copies beside them, written by the
// build (web/tools/precompress.mjs): a request whose Accept-Encoding allows one gets
// it, with Content-Encoding and an ETag of its own; every answer for a text type
// says Vary: Accept-Encoding. Content-hashed names (lampi.<10 hex digits>.js, from
// web/tools/hash-names.mjs) are served as immutable for a year.
#pragma once

#include <sys/stat.h>

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
    struct CachedFile;

private:
    // The answer for the file `key` whose stat() is `st`, from the cache or read now;
    // null if it may not be served. `served_as` is the name asked for, `coding` the
    // file's Content-Encoding (empty: none).
    std::shared_ptr<const CachedFile> load(const std::string& key, const struct stat& st, std::string_view served_as,
                                           std::string_view coding) const;

    std::string root_;  // canonical
    std::shared_ptr<Cache> cache_;
};

std::string_view content_type_for(std::string_view path);

}  // namespace lampi::cloud::pages
