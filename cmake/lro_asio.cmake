# azmaps::lro_asio: the optional Boost.Asio/Beast adapter (include/azmaps/lro/adapters/asio.hpp).
# Header-only INTERFACE target: the library + Boost headers + OpenSSL (HTTPS), C++20 (coroutines).
# Defined only when Boost >= 1.74 and OpenSSL are found. Safe to include more than once.
if(TARGET azmaps_lro_asio)
  return()
endif()
find_package(Boost 1.74 QUIET CONFIG COMPONENTS headers)
find_package(OpenSSL QUIET)
find_package(Threads QUIET)
if(NOT Boost_FOUND OR NOT OpenSSL_FOUND OR NOT Threads_FOUND)
  message(STATUS "azmaps::lro_asio: Boost >= 1.74 or OpenSSL not found, not defined")
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
