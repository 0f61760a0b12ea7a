# Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#
# Helper functions: every module, test binary and benchmark is declared through these, so
# flags, warnings, labels and install rules are set in one place (cf. absl_cc_library).

set(CODESPHERE_WARNINGS -Wall -Wextra -Werror)
get_filename_component(CODESPHERE_ROOT "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)

# codesphere_module(NAME m SRCS … [CXX17_SRCS …] [DEPS codesphere::x …]
#                   [PRIVATE_LIBS …] [PUBLIC_LIBS …] [FIND_DEPS pkg …])
# FIND_DEPS names CMake packages (e.g. OpenSSL, SQLite3) whose imported targets the module
# links; the installed codesphereConfig.cmake finds them again for consumers.
# Declares the static library codesphere_<m>, aliased and exported as codesphere::<m>.
# CXX17_SRCS are compiled as C++17 (websocketpp translation units, src/net only).
function(codesphere_module)
  cmake_parse_arguments(M "" "NAME" "SRCS;CXX17_SRCS;DEPS;PRIVATE_LIBS;PUBLIC_LIBS;FIND_DEPS" ${ARGN})
  set(target codesphere_${M_NAME})
  add_library(${target} STATIC ${M_SRCS} ${M_CXX17_SRCS})
  add_library(codesphere::${M_NAME} ALIAS ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${M_NAME} OUTPUT_NAME codesphere_${M_NAME})
  target_include_directories(${target} PUBLIC
    $<BUILD_INTERFACE:${CODESPHERE_ROOT}/include>
    $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_include_directories(${target} PRIVATE ${CODESPHERE_ROOT}/src)
  target_compile_options(${target} PRIVATE ${CODESPHERE_WARNINGS})
  target_compile_features(${target} PUBLIC cxx_std_20)
  if(M_CXX17_SRCS)
    set_source_files_properties(${M_CXX17_SRCS} TARGET_DIRECTORY ${target}
      PROPERTIES COMPILE_OPTIONS "-std=c++17;-Wno-deprecated-declarations")
  endif()
  target_link_libraries(${target} PUBLIC ${M_DEPS} ${M_PUBLIC_LIBS} PRIVATE ${M_PRIVATE_LIBS})
  install(TARGETS ${target} EXPORT codesphereTargets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
  set_property(GLOBAL APPEND PROPERTY CODESPHERE_MODULES ${M_NAME})
  if(M_FIND_DEPS)
    set_property(GLOBAL APPEND PROPERTY CODESPHERE_FIND_DEPENDENCIES ${M_FIND_DEPS})
  endif()
endfunction()

# codesphere_test(NAME codesphere_<m>_test SRCS … DEPS … [LABELS …])
# A GoogleTest binary; its tests are discovered into ctest with label "unit" (plus LABELS).
function(codesphere_test)
  cmake_parse_arguments(T "" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${T_NAME} ${T_SRCS})
  target_compile_options(${T_NAME} PRIVATE ${CODESPHERE_WARNINGS})
  target_include_directories(${T_NAME} PRIVATE ${CODESPHERE_ROOT} ${CODESPHERE_ROOT}/src)
  target_link_libraries(${T_NAME} PRIVATE ${T_DEPS} codesphere_testing GTest::gmock GTest::gtest_main)
  # gtest_discover_tests cannot take a list-valued property (it splits it), so extra labels
  # go on the directory, which applies them to every test it defines.
  if(T_LABELS)
    set_property(DIRECTORY APPEND PROPERTY LABELS ${T_LABELS})
  endif()
  gtest_discover_tests(${T_NAME} DISCOVERY_TIMEOUT 60
    PROPERTIES LABELS unit ENVIRONMENT "CODESPHERE_SOURCE_DIR=${CODESPHERE_ROOT}")
endfunction()

# codesphere_benchmark(NAME codesphere_<m>_benchmark SRCS … DEPS …)
function(codesphere_benchmark)
  cmake_parse_arguments(B "" "NAME" "SRCS;DEPS" ${ARGN})
  find_package(benchmark REQUIRED)
  add_executable(${B_NAME} ${B_SRCS})
  target_compile_options(${B_NAME} PRIVATE ${CODESPHERE_WARNINGS})
  target_include_directories(${B_NAME} PRIVATE ${CODESPHERE_ROOT}/src)
  target_link_libraries(${B_NAME} PRIVATE ${B_DEPS} benchmark::benchmark)
endfunction()

# codesphere_example(NAME prog SRCS … DEPS …): an installed example program (public headers only).
function(codesphere_example)
  cmake_parse_arguments(E "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${E_NAME} ${E_SRCS})
  target_compile_options(${E_NAME} PRIVATE ${CODESPHERE_WARNINGS})
  target_link_libraries(${E_NAME} PRIVATE ${E_DEPS})
  install(TARGETS ${E_NAME} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endfunction()

# codesphere_subdirectories(): add_subdirectory for every child folder with a CMakeLists.txt.
macro(codesphere_subdirectories)
  file(GLOB _children RELATIVE ${CMAKE_CURRENT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR}/*)
  list(SORT _children)
  foreach(_child IN LISTS _children)
    if(IS_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/${_child}
       AND EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${_child}/CMakeLists.txt)
      add_subdirectory(${_child})
    endif()
  endforeach()
endmacro()
