# A consumer with strict warnings of its own. The library's include directory is SYSTEM for
# consumers, so these flags judge the consumer's code only (run.cmake checks the -isystem).
function(azmaps_lro_consumer_strict target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wconversion
                         -Wsign-conversion -Wshadow -Wold-style-cast -Werror)
endfunction()
