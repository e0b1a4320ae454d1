# Compiler settings shared by every target: warnings, ccache, sanitizers.
find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
endif()

add_compile_options(-Wall -Wextra -Wpedantic)

# RelWithDebInfo keeps line tables only (-g1): backtraces, sanitizer reports, perf
# and the -dbgsym packages still name function, file and line, and each file
# compiles in 17-36 % less time than with -g. LAMPI_DEBUG_INFO=full brings back -g
# (variables and types, for a debugger).
set(LAMPI_DEBUG_INFO lines CACHE STRING "Debug info of RelWithDebInfo: lines (-g1) or full (-g)")
set_property(CACHE LAMPI_DEBUG_INFO PROPERTY STRINGS lines full)
if(LAMPI_DEBUG_INFO STREQUAL "lines")
  string(REGEX REPLACE "(^| )-g( |$)" "\\1-g1\\2" CMAKE_CXX_FLAGS_RELWITHDEBINFO "${CMAKE_CXX_FLAGS_RELWITHDEBINFO}")
elseif(NOT LAMPI_DEBUG_INFO STREQUAL "full")
  message(FATAL_ERROR "LAMPI_DEBUG_INFO is lines or full, not '${LAMPI_DEBUG_INFO}'")
endif()

# Unity builds: each target's sources compile in batches of 16 files per translation
# unit, so the headers they share (fmt, Boost.JSON, the standard library) are parsed
# and their templates instantiated once per batch instead of once per file: about half
# the CPU of a clean build (lampi_load_core's 58 files: 169 s one by one, 87 s in
# batches of 8, 73 s of 16). A file with options of its own (a main.cpp) compiles
# alone. LAMPI_UNITY_BUILD=OFF compiles every file alone: what a change to one file
# recompiles is then that file only, not its batch.
option(LAMPI_UNITY_BUILD "Compile each target's sources in batches of 16" ON)
set(CMAKE_UNITY_BUILD ${LAMPI_UNITY_BUILD})
set(CMAKE_UNITY_BUILD_BATCH_SIZE 16)
if(LAMPI_UNITY_BUILD AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # GCC takes a source included into a batch for a header, and a class of a header
  # holding a type of the anonymous namespace is an ODR hazard there; in a source
  # file it is not, as each batch is still one translation unit.
  add_compile_options(-Wno-subobject-linkage)
endif()

# mold links a test program with its debug info in about a quarter of GNU ld's
# time, and there are some seventy programs to link.
find_program(MOLD_PROGRAM mold)
if(MOLD_PROGRAM AND NOT LAMPI_NO_MOLD AND NOT CMAKE_CROSSCOMPILING)
  add_link_options(-fuse-ld=mold)
elseif(MOLD_PROGRAM AND NOT LAMPI_NO_MOLD)
  # A cross g++ looks for ld.mold beside its own binutils (/usr/aarch64-linux-gnu/bin),
  # where Debian puts none: -B names mold's directory holding an `ld` instead. mold
  # takes the target from the objects; if it cannot link for this one, GNU ld does.
  include(CheckLinkerFlag)
  find_path(LAMPI_MOLD_LD_DIR ld PATHS /usr/libexec/mold NO_DEFAULT_PATH NO_CMAKE_FIND_ROOT_PATH)
  if(LAMPI_MOLD_LD_DIR)
    check_linker_flag(CXX "-B${LAMPI_MOLD_LD_DIR}" LAMPI_MOLD_LINKS_TARGET)
  endif()
  if(LAMPI_MOLD_LINKS_TARGET)
    add_link_options("-B${LAMPI_MOLD_LD_DIR}")
  else()
    message(STATUS "mold does not link for ${CMAKE_SYSTEM_PROCESSOR} here: GNU ld links")
  endif()
endif()

# Full RELRO: the relocations are all resolved at start and the table that holds them
# is then read-only, as Debian's hardening has it (lintian: hardening-no-bindnow).
# A link option only, so no object compiles again.
add_link_options(-Wl,-z,relro -Wl,-z,now)

# glibc's checked string and memory functions where the size is known (Debian's
# hardening; lintian: hardening-no-fortify-functions). Optimized builds only: the
# checks need -O, and a sanitized build checks more than they do.
if(NOT LAMPI_SANITIZE AND NOT LAMPI_FUZZ)
  add_compile_options($<$<CONFIG:RelWithDebInfo,Release>:-D_FORTIFY_SOURCE=2>)
endif()

if(LAMPI_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

if(LAMPI_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "LAMPI_FUZZ needs clang: cmake -DCMAKE_CXX_COMPILER=clang++ -DLAMPI_FUZZ=ON")
  endif()
  # Everything linked into a fuzzer is instrumented for coverage and sanitized.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# lampi_cli_main(<source>): a program's main.cpp, which parses the options and
# starts the parts, once. CLI11 (2.1, header-only) compiles some two thousand
# functions into every file that includes it; unoptimised such a file compiles in
# 60-70 % of its -O2 time, and nothing in it runs often enough to notice. glibc's
# checked functions need optimisation, so they are off in that file alone.
function(lampi_cli_main source)
  set_source_files_properties(${source} PROPERTIES COMPILE_OPTIONS
    "$<$<CONFIG:RelWithDebInfo,Release>:-O0;-U_FORTIFY_SOURCE>")
endfunction()
