# lampi_npm_ci(<stamp-var> DIR <build dir> SOURCE <folder with package.json> COMMENT <text>)
# Copies package.json and package-lock.json into DIR and runs `npm ci` there, so
# source trees never get a node_modules/. Sets <stamp-var> to a file that a
# target can depend on; it is redone when either file changes.
function(lampi_npm_ci stamp_var)
  cmake_parse_arguments(N "" "DIR;SOURCE;COMMENT" "" ${ARGN})
  set(stamp "${N_DIR}/npm-ci.stamp")
  add_custom_command(
    OUTPUT "${stamp}"
    COMMAND ${CMAKE_COMMAND} -E make_directory "${N_DIR}"
    COMMAND ${CMAKE_COMMAND} -E copy_if_different "${N_SOURCE}/package.json" "${N_SOURCE}/package-lock.json" "${N_DIR}/"
    COMMAND "${NPM_EXECUTABLE}" ci --no-audit --no-fund
    COMMAND ${CMAKE_COMMAND} -E touch "${stamp}"
    WORKING_DIRECTORY "${N_DIR}"
    DEPENDS "${N_SOURCE}/package.json" "${N_SOURCE}/package-lock.json"
    COMMENT "${N_COMMENT}"
    VERBATIM)
  set(${stamp_var} "${stamp}" PARENT_SCOPE)
endfunction()
