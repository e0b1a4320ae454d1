// SmallDisk: a tmpfs of a few megabytes at a path, for tests of what a program
// does when its disk fills up; unmounted on destruction. Mounting needs root:
// check mounted() (a test without root skips).
#pragma once

#include <sys/mount.h>

#include <filesystem>
#include <string>

namespace lampi::testing {

class SmallDisk {
public:
    SmallDisk(std::string path, int megabytes) : path_(std::move(path)) {
        std::filesystem::create_directories(path_);
        std::string size = "size=" + std::to_string(megabytes) + "m";
        mounted_ = ::mount("tmpfs", path_.c_str(), "tmpfs", 0, size.c_str()) == 0;
    }
    ~SmallDisk() {
        if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
    }
    SmallDisk(const SmallDisk&) = delete;
    SmallDisk& operator=(const SmallDisk&) = delete;
    bool mounted() const { return mounted_; }

private:
    std::string path_;
    bool mounted_ = false;
};

}  // namespace lampi::testing
