# Turns the chart library from npm into a C++ source file, so lampi-load writes
# self-contained HTML reports without looking for files at run time.
# Inputs: JS, CSS (paths), OUT (the .cpp to write).
file(READ "${JS}" js)
file(READ "${CSS}" css)
foreach(text IN ITEMS "${js}" "${css}")
  string(FIND "${text}" ")lampi_asset\"" clash)
  string(FIND "${text}" "</script" closes)
  if(NOT clash EQUAL -1 OR NOT closes EQUAL -1)
    message(FATAL_ERROR "${JS} cannot be inlined as it is: it contains the raw-string delimiter or </script")
  endif()
endforeach()
file(WRITE "${OUT}.tmp"
  "// Generated from npm's uPlot by embed_assets.cmake; do not edit.\n"
  "#include \"report/html_assets.h\"\n"
  "namespace lampi::load {\n"
  "const char* const kChartLibraryJs = R\"lampi_asset(${js})lampi_asset\";\n"
  "const char* const kChartLibraryCss = R\"lampi_asset(${css})lampi_asset\";\n"
  "}  // namespace lampi::load\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
