// The headers most test files include, compiled once for every test program
// (tests/CMakeLists.txt). Each file still includes what it uses: this list only
// makes that cheap, and a header left out of it costs time, never correctness.
#pragma once

#include <gtest/gtest.h>

#include <fmt/core.h>
#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>
