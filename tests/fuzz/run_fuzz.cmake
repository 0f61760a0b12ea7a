# Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
# cmake -DSOURCE_DIR=<tests/fuzz> -DWORK_DIR=<dir> -DRUNS=<n> -P run_fuzz.cmake
# Configures and builds every *_fuzz.cc with clang + libFuzzer in WORK_DIR, then runs each
# target for RUNS iterations over a scratch copy of its committed seed corpus
# (corpus/<name without _fuzz>/). Fails on a build error or any crash.
find_program(CLANGXX NAMES clang++-14 clang++ REQUIRED)
find_program(CLANG NAMES clang-14 clang REQUIRED)
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR}/standalone -B ${WORK_DIR}/build -G Ninja
                        -DCMAKE_CXX_COMPILER=${CLANGXX} -DCMAKE_C_COMPILER=${CLANG} -DCMAKE_BUILD_TYPE=
                RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "fuzz: configure failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/build -j 2 RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "fuzz: build failed")
endif()
file(GLOB fuzzers "${SOURCE_DIR}/*_fuzz.cc")
foreach(f IN LISTS fuzzers)
  get_filename_component(name ${f} NAME_WE)
  string(REGEX REPLACE "_fuzz$" "" corpus_name ${name})
  set(corpus "${WORK_DIR}/corpus/${corpus_name}")
  file(REMOVE_RECURSE ${corpus})
  file(MAKE_DIRECTORY ${corpus})
  file(GLOB seeds "${SOURCE_DIR}/corpus/${corpus_name}/*")
  if(seeds)
    file(COPY ${seeds} DESTINATION ${corpus})
  endif()
  message(STATUS "fuzz: ${name} -runs=${RUNS}")
  execute_process(COMMAND ${WORK_DIR}/build/${name} -runs=${RUNS} -max_len=4096 -seed=1 ${corpus}
                  RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "fuzz: ${name} failed (exit ${rc}); the crashing input is in the working directory")
  endif()
endforeach()
