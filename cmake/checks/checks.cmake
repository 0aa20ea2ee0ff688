# Checks of the library's headers and documentation, as CTest tests (included from the
# top-level CMakeLists.txt when tests are on). Each needs only a program, and is left out with
# one message when that program is missing.
#   strict_headers.<gcc|clang>.cxx<17|20>  every header alone, strict warnings (label headers)
#   clang_tidy_headers                     .clang-tidy on every header       (label headers)
#   doxygen_api_reference                  docs/Doxyfile builds warning-free  (label docs)
set(_checks ${CMAKE_CURRENT_LIST_DIR})
if(NOT DEFINED CURL_FOUND)
  find_package(CURL QUIET)
endif()
set(_with_curl OFF)
if(CURL_FOUND)
  set(_with_curl ON)
endif()

foreach(_cc IN ITEMS "gcc;g++" "clang;clang++")
  list(GET _cc 0 _name)
  list(GET _cc 1 _prog)
  find_program(AZMAPS_LRO_${_name}_CXX NAMES ${_prog})
  if(NOT AZMAPS_LRO_${_name}_CXX)
    message(STATUS "azmaps-lro: strict_headers.${_name}.* left out: ${_prog} not found (Debian package: ${_name})")
    continue()
  endif()
  foreach(_std IN ITEMS 17 20)
    add_test(NAME strict_headers.${_name}.cxx${_std}
      COMMAND ${CMAKE_COMMAND} -DCOMPILER=${AZMAPS_LRO_${_name}_CXX} -DSTD=${_std}
              -DSOURCE_DIR=${PROJECT_SOURCE_DIR} -DWORK_DIR=${CMAKE_BINARY_DIR}/strict_headers/${_name}${_std}
              -DWITH_CURL=${_with_curl} -DBASELINE=${_checks}/strict_headers.baseline
              -P ${_checks}/strict_headers.cmake)
    set_tests_properties(strict_headers.${_name}.cxx${_std} PROPERTIES TIMEOUT 600 LABELS headers)
  endforeach()
endforeach()

find_program(AZMAPS_LRO_CLANG_TIDY NAMES clang-tidy clang-tidy-14)
if(AZMAPS_LRO_CLANG_TIDY)
  add_test(NAME clang_tidy_headers
    COMMAND ${CMAKE_COMMAND} -DCLANG_TIDY=${AZMAPS_LRO_CLANG_TIDY} -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
            -DWORK_DIR=${CMAKE_BINARY_DIR}/clang_tidy -DWITH_CURL=${_with_curl}
            -DBASELINE=${_checks}/clang_tidy.baseline -P ${_checks}/clang_tidy.cmake)
  set_tests_properties(clang_tidy_headers PROPERTIES TIMEOUT 900 LABELS headers)
else()
  message(STATUS "azmaps-lro: clang_tidy_headers left out: clang-tidy not found (Debian package: clang-tidy)")
endif()

find_program(AZMAPS_LRO_DOXYGEN NAMES doxygen)
if(AZMAPS_LRO_DOXYGEN)
  add_test(NAME doxygen_api_reference
    COMMAND ${CMAKE_COMMAND} -DDOXYGEN=${AZMAPS_LRO_DOXYGEN} -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
            -DWORK_DIR=${CMAKE_BINARY_DIR}/api -DVERSION=${PROJECT_VERSION}
            -DBASELINE=${_checks}/doxygen.baseline -P ${_checks}/doxygen.cmake)
  set_tests_properties(doxygen_api_reference PROPERTIES TIMEOUT 600 LABELS docs)
else()
  message(STATUS "azmaps-lro: doxygen_api_reference left out: doxygen not found (Debian package: doxygen)")
endif()
