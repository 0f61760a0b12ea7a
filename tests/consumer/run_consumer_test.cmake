# Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#
# ctest driver: install the build tree into a scratch prefix, then configure, build and run
# tests/consumer against it with find_package(codesphere CONFIG REQUIRED), as a user would.
# Inputs: BUILD_DIR, SOURCE_DIR, WORK_DIR, GENERATOR.
file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  message(STATUS "${what}: ok")
  set(LAST_OUTPUT "${out}" PARENT_SCOPE)
endfunction()

run("install" ${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${prefix}")
foreach(f lib/cmake/codesphere/codesphereConfig.cmake
          lib/cmake/codesphere/codesphereConfigVersion.cmake
          include/codesphere/base/status.h include/codesphere/base/version.h)
  if(NOT EXISTS "${prefix}/${f}")
    message(FATAL_ERROR "install tree lacks ${f}")
  endif()
endforeach()
if(EXISTS "${prefix}/include/codesphere/../../src")
  message(FATAL_ERROR "private sources were installed")
endif()
run("configure consumer" ${CMAKE_COMMAND} -S "${SOURCE_DIR}" -B "${WORK_DIR}/build"
    -G "${GENERATOR}" "-DCMAKE_PREFIX_PATH=${prefix}" -DCMAKE_BUILD_TYPE=Release)
run("build consumer" ${CMAKE_COMMAND} --build "${WORK_DIR}/build")
run("run consumer" "${WORK_DIR}/build/consumer")
message(STATUS "consumer said: ${LAST_OUTPUT}")
