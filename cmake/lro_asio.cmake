# azmaps::lro_asio: the optional Boost.Asio/Beast adapter (include/azmaps/lro/adapters/asio.hpp).
# Header-only INTERFACE target: the library + Boost headers + OpenSSL (HTTPS), C++20 (coroutines).
# Defined only when Boost >= 1.74 and OpenSSL are found. Safe to include more than once.
if(TARGET azmaps_lro_asio)
  return()
endif()
# Clang 14 cannot compile Asio's coroutines with the sanitizers (the assembler stops with
# "Cannot represent a difference across sections"): the sanitizer build leaves the adapter out;
# the GCC build (stage 1 of tools/test.sh) builds and runs its tests.
if(AZMAPS_LRO_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(STATUS "azmaps::lro_asio: left out of the clang sanitizer build (clang 14 cannot assemble Asio coroutines under ASan)")
  return()
endif()
find_package(Boost 1.74 QUIET CONFIG COMPONENTS headers)
if(NOT Boost_FOUND)   # looked for first: OpenSSL's finder needs pkg-config, which may be absent
  message(STATUS "azmaps::lro_asio: Boost >= 1.74 not found (Debian package: libboost-dev), not defined")
  return()
endif()
find_package(OpenSSL QUIET)
find_package(Threads QUIET)
if(NOT OpenSSL_FOUND OR NOT Threads_FOUND)
  message(STATUS "azmaps::lro_asio: OpenSSL not found (Debian package: libssl-dev), not defined")
  return()
endif()
add_library(azmaps_lro_asio INTERFACE)
add_library(azmaps::lro_asio ALIAS azmaps_lro_asio)
target_link_libraries(azmaps_lro_asio INTERFACE azmaps_lro Boost::headers OpenSSL::SSL Threads::Threads)
target_compile_features(azmaps_lro_asio INTERFACE cxx_std_20)
# Clang 14 + Boost 1.74: Asio does not detect clang's C++20 coroutines by itself.
target_compile_definitions(azmaps_lro_asio INTERFACE
  $<$<CXX_COMPILER_ID:Clang>:BOOST_ASIO_HAS_CO_AWAIT BOOST_ASIO_HAS_STD_COROUTINE>)
set_target_properties(azmaps_lro_asio PROPERTIES EXPORT_NAME lro_asio)
