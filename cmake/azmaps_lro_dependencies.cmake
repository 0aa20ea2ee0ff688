# How the project's own optional parts (tests, tools, benchmarks, fuzzers) react to a missing
# dependency. The library itself has none.
#
# Each part's option (AZMAPS_LRO_BUILD_TESTS, ..._TOOLS, ..._BENCH, ..._FUZZERS) is ON, OFF or
# AUTO. AUTO (the top-level default for tests and tools) builds what the installed packages
# allow and prints one line per part it leaves out; ON makes a missing dependency a configure
# error naming the Debian package. AZMAPS_LRO_REQUIRE_DEPS=ON turns every AUTO into ON (CI).

# azmaps_lro_explicit(<out-var> <option>): TRUE when <option> was asked for (not AUTO).
function(azmaps_lro_explicit out option)
  string(TOUPPER "${${option}}" value)
  if(value STREQUAL "AUTO" AND NOT AZMAPS_LRO_REQUIRE_DEPS)
    set(${out} FALSE PARENT_SCOPE)
  elseif(${option})
    set(${out} TRUE PARENT_SCOPE)
  else()
    set(${out} FALSE PARENT_SCOPE)
  endif()
endfunction()

# azmaps_lro_missing(<option> <what is left out> <dependency> <Debian package(s)>)
# A part cannot be built: an error when <option> was asked for, otherwise one status line.
function(azmaps_lro_missing option part dependency debian)
  azmaps_lro_explicit(explicit ${option})
  if(explicit)
    message(FATAL_ERROR
      "azmaps-lro: ${part} need ${dependency}, which was not found. Install the Debian "
      "package ${debian} (or run tools/setup.sh), or configure with -D${option}=OFF.")
  endif()
  message(STATUS
    "azmaps-lro: ${part} left out: ${dependency} not found (Debian package: ${debian}; "
    "-D${option}=ON makes this an error)")
endfunction()
