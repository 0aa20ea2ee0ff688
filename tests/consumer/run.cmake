# Builds and runs a consumer project; fails on any step. Driven by tests/consumer/CMakeLists.txt.
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
function(step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "step failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
endfunction()

set(consumer_args -DCMAKE_CXX_COMPILER=${CXX})
if(KIND STREQUAL "find_package")
  # Install only the library (no tests, no tools) into a private prefix.
  step(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/lib -DCMAKE_CXX_COMPILER=${CXX}
       -DAZMAPS_LRO_BUILD_TESTS=OFF -DAZMAPS_LRO_BUILD_TOOLS=OFF -DAZMAPS_LRO_INSTALL=ON
       -DCMAKE_INSTALL_PREFIX=${WORK_DIR}/prefix)
  step(${CMAKE_COMMAND} --install ${WORK_DIR}/lib)
  list(APPEND consumer_args -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
else()
  list(APPEND consumer_args -DAZMAPS_LRO_SOURCE_DIR=${SOURCE_DIR})
endif()
step(${CMAKE_COMMAND} -S ${CMAKE_CURRENT_LIST_DIR}/${KIND} -B ${WORK_DIR}/app ${consumer_args})
step(${CMAKE_COMMAND} --build ${WORK_DIR}/app)
step(${WORK_DIR}/app/consumer)
