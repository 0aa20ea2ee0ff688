# `cmake -S . -B build` on a machine with only a compiler and CMake: every optional package is
# hidden (CMAKE_DISABLE_FIND_PACKAGE_<name>, and clang's FuzzedDataProvider.h), the test and
# tool options keep their defaults. The configure must succeed and say, once per part, what it
# leaves out and which Debian package brings it back. Asking for the tests or the tools
# explicitly must instead fail, naming the package.
set(hidden GTest CURL rapidcheck benchmark nlohmann_json simdjson PkgConfig httplib CLI11 Boost Git)
set(args --no-warn-unused-cli -DCMAKE_CXX_COMPILER=${CXX} -DAZMAPS_LRO_FDP_HEADER=AZMAPS_LRO_FDP_HEADER-NOTFOUND)
foreach(p IN LISTS hidden)
  list(APPEND args -DCMAKE_DISABLE_FIND_PACKAGE_${p}=ON)
endforeach()

file(REMOVE_RECURSE ${WORK_DIR})
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/default ${args}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "plain configure without optional packages failed (${rc}):\n${out}\n${err}")
endif()
set(expected
  "GoogleTest-based tests \\(unit, vector, property, emulator, end-to-end\\) left out: GoogleTest not found \\(Debian package: libgtest-dev"
  "the emulator \\(and the azmaps-lro command, end-to-end tests\\) left out: nlohmann_json not found \\(Debian package: nlohmann-json3-dev"
  "lro-replay left out: nlohmann_json not found \\(Debian package: nlohmann-json3-dev"
  "the azmaps-lro command left out: libcurl not found \\(Debian package: libcurl4-openssl-dev"
  "examples/curl_loop.cpp left out: libcurl not found \\(Debian package: libcurl4-openssl-dev"
  "fuzz_token and fuzz_machine \\(and their replays\\) left out: .* \\(Debian package: clang libclang-rt-14-dev")
foreach(m IN LISTS expected)
  string(REGEX MATCHALL "${m}" hits "${out}")
  list(LENGTH hits n)
  if(NOT n EQUAL 1)
    message(FATAL_ERROR "expected exactly one message matching\n  ${m}\n(found ${n}) in:\n${out}")
  endif()
endforeach()
# Nothing left out is reported as a warning or error.
if(err MATCHES "CMake (Warning|Error)")
  message(FATAL_ERROR "the plain configure warned:\n${err}")
endif()
message(STATUS "plain configure: ok, with these messages:\n${out}")

# Asked for explicitly: a configure error naming the Debian package.
foreach(case IN ITEMS "TESTS;libgtest-dev" "TOOLS;nlohmann-json3-dev")
  list(GET case 0 part)
  list(GET case 1 debian)
  execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/explicit-${part} ${args}
                          -DAZMAPS_LRO_BUILD_${part}=ON
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(rc EQUAL 0)
    message(FATAL_ERROR "-DAZMAPS_LRO_BUILD_${part}=ON without its packages configured:\n${out}")
  endif()
  if(NOT err MATCHES "Install the Debian[ \n]+package[ \n]+${debian}")
    message(FATAL_ERROR "-DAZMAPS_LRO_BUILD_${part}=ON failed without naming ${debian}:\n${err}")
  endif()
endforeach()
