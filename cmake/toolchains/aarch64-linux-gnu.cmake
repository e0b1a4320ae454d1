# Cross-compiling for arm64 (Raspberry Pi OS 64-bit, Debian arm64) with Debian's
# cross toolchain, against the arm64 -dev packages installed beside the host's
# through multiarch (scripts/debian-packages-arm64.txt): no sysroot, the arm64
# headers and libraries are in /usr/include/aarch64-linux-gnu and
# /usr/lib/aarch64-linux-gnu, which the cross g++ searches by itself.
#   cmake -S . -B build-arm64 -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++-12)

# find_package and find_library search <prefix>/lib/aarch64-linux-gnu, the arm64
# packages' multiarch directory (CMAKE_LIBRARY_ARCHITECTURE), never the host's.

# pkg-config reads the arm64 .pc files alone (the host's pkg-config, no wrapper).
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

# The arm64 test programs run under qemu-user: ctest, and gtest_discover_tests
# when it lists each program's tests at build time. No -L: libc6:arm64 (multiarch,
# pulled in by the arm64 libraries) puts the arm64 loader at /lib/ld-linux-aarch64.so.1,
# and with -L /usr/aarch64-linux-gnu qemu 7.2's forked children hang before they
# exec (a test's Mosquitto never started; a fork-and-exec probe hung until killed,
# and takes 0.3 s without -L).
find_program(LAMPI_QEMU_AARCH64 qemu-aarch64-static REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR "${LAMPI_QEMU_AARCH64}")
