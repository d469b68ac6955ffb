# Fuzzing under `make test`. libFuzzer is part of clang and the normal build is gcc, so the fuzz
# targets are built in a clang sub-build (an ExternalProject of this same source tree with
# -DRAPPORT_FUZZ=ON, only the fuzz targets) inside the build directory, and CTest runs them from
# there for a bounded time. docs/fuzzing.md says how to run them longer and what to do with a find.
set(RAPPORT_FUZZ_SECONDS 30 CACHE STRING "seconds fuzz.mime runs under CTest")
set(RAPPORT_FUZZ_JOBS 2 CACHE STRING "parallel compile jobs of the clang fuzz sub-build")

find_program(RAPPORT_CLANGXX NAMES clang++ clang++-14 clang++-15 clang++-16)
if(NOT RAPPORT_CLANGXX)
  message(WARNING "fuzz: no clang++, so the fuzz tests are not built (scripts/install-deps.sh installs clang; "
                  "-DRAPPORT_FUZZ_TESTS=OFF silences this)")
  return()
endif()
execute_process(COMMAND ${RAPPORT_CLANGXX} -print-file-name=libclang_rt.fuzzer-${CMAKE_SYSTEM_PROCESSOR}.a
                OUTPUT_VARIABLE fuzzer_lib OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT EXISTS "${fuzzer_lib}")
  message(WARNING "fuzz: ${RAPPORT_CLANGXX} has no libFuzzer runtime (libclang-rt-dev), so the fuzz tests are not built")
  return()
endif()

include(ExternalProject)
set(fuzz_dir ${PROJECT_BINARY_DIR}/fuzz-clang)
ExternalProject_Add(fuzz_targets
  SOURCE_DIR ${PROJECT_SOURCE_DIR}
  BINARY_DIR ${fuzz_dir}
  CMAKE_ARGS -DCMAKE_CXX_COMPILER=${RAPPORT_CLANGXX} -DRAPPORT_FUZZ=ON -DRAPPORT_TESTS=OFF -DRAPPORT_FUZZ_TESTS=OFF
             -DCMAKE_BUILD_TYPE=RelWithDebInfo
  BUILD_COMMAND ${CMAKE_COMMAND} --build ${fuzz_dir} --target mime_fuzz --parallel ${RAPPORT_FUZZ_JOBS}
  BUILD_BYPRODUCTS ${fuzz_dir}/fuzz/mime_fuzz
  INSTALL_COMMAND ""
  BUILD_ALWAYS ON  # the sub-build's own ninja decides what changed
  USES_TERMINAL_BUILD ON)

# libFuzzer writes what it finds new into the first directory (the build tree's), never into the
# committed seeds; a crash leaves crash-<sha1> in the working directory and fails the test.
file(MAKE_DIRECTORY ${fuzz_dir}/corpus ${fuzz_dir}/findings)
add_test(NAME fuzz.mime
         COMMAND ${fuzz_dir}/fuzz/mime_fuzz -max_total_time=${RAPPORT_FUZZ_SECONDS} -max_len=65536 -timeout=10
                 -rss_limit_mb=2048 -dict=${PROJECT_SOURCE_DIR}/fuzz/mime.dict -print_final_stats=1
                 -artifact_prefix=${fuzz_dir}/findings/ ${fuzz_dir}/corpus ${PROJECT_SOURCE_DIR}/fuzz/corpus)
# Every input that once crashed, run once each (libFuzzer runs files given as arguments).
file(GLOB fuzz_regressions CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/fuzz/regressions/*)
if(fuzz_regressions)
  add_test(NAME fuzz.mime_regressions COMMAND ${fuzz_dir}/fuzz/mime_fuzz -rss_limit_mb=2048 ${fuzz_regressions})
  set_tests_properties(fuzz.mime_regressions PROPERTIES LABELS fuzz TIMEOUT 120)
endif()
set_tests_properties(fuzz.mime PROPERTIES LABELS fuzz TIMEOUT 300)
