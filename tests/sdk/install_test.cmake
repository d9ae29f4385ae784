# Run by ctest (see CMakeLists.txt). Fails with the step and its output.
function(run step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "${step} failed (${result}):\n${out}\n${err}")
  endif()
  set(last_output "${out}${err}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")
run("cmake --install" "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}")
foreach(installed include/weft/plugin.hpp include/weft/abi.h include/weft/version.hpp bin/weft
                  lib/cmake/weft/weftConfig.cmake lib/cmake/weft/weft_plugin.cmake lib/weft/plugins/libweft_http.so)
  if(NOT EXISTS "${prefix}/${installed}")
    message(FATAL_ERROR "cmake --install did not place ${installed}")
  endif()
endforeach()

set(launcher "")
if(LAUNCHER)
  set(launcher "-DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER}")
endif()
run("configure examples/hello_plugin" "${CMAKE_COMMAND}" -S "${SOURCE_DIR}/examples/hello_plugin"
    -B "${WORK_DIR}/hello" -G "${GENERATOR}" -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release ${launcher})
run("build examples/hello_plugin" "${CMAKE_COMMAND}" --build "${WORK_DIR}/hello")
if(NOT EXISTS "${WORK_DIR}/hello/libweft_hello.so")
  message(FATAL_ERROR "the build did not produce libweft_hello.so")
endif()
# The installed host loads it and checks the example workflow against it.
run("weft validate --plugins" "${prefix}/bin/weft" validate --plugins "${WORK_DIR}/hello"
    "${SOURCE_DIR}/examples/hello_plugin/workflow")
if(NOT last_output MATCHES "loaded plugin hello 1.0.0" OR NOT last_output MATCHES "1 workflow\\(s\\) valid")
  message(FATAL_ERROR "unexpected output of weft validate:\n${last_output}")
endif()
message(STATUS "hello_plugin built and loaded against the SDK installed in ${prefix}")
