// Boost.JSON compiled into the fuzz build only (see CMakeLists.txt).
#include <boost/json/src.hpp>
