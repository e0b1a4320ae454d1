# libFuzzer targets for every parser we wrote (built only with -DLAMPI_FUZZ=ON and
# clang). Each program keeps its fuzzers in its own fuzz/ folder, seeds beside them
# in fuzz/corpus/<target>/. Each target is also a ctest that fuzzes for a bounded
# time from its seeds; bench/fuzz.sh runs them for longer.
set(LAMPI_FUZZ_SECONDS 20 CACHE STRING "seconds each fuzzer runs in the test suite")

# lampi_fuzzer(<name> SOURCES ... LIBS ...): the seeds live in corpus/<name>/ beside
# the CMakeLists.txt that calls it.
function(lampi_fuzzer name)
  cmake_parse_arguments(F "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${F_SOURCES})
  target_link_libraries(${name} PRIVATE ${F_LIBS})
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  set(work ${CMAKE_CURRENT_BINARY_DIR}/corpus/${name})
  file(MAKE_DIRECTORY ${work})
  add_test(NAME fuzz.${name}
    COMMAND ${name} ${work} ${CMAKE_CURRENT_SOURCE_DIR}/corpus/${name}
            -max_total_time=${LAMPI_FUZZ_SECONDS} -max_len=8192 -timeout=5 -print_final_stats=1)
  set_tests_properties(fuzz.${name} PROPERTIES LABELS fuzz TIMEOUT 300)
endfunction()
