# Proves the tripwire trips: runs abi_header_hash.cmake on altered copies of abi.h and expects the
# right refusal for each. -DHEADER=... -DHASHES=... -DWORK=<scratch dir>
set(check "${CMAKE_CURRENT_LIST_DIR}/abi_header_hash.cmake")
file(READ "${HEADER}" original)
file(MAKE_DIRECTORY "${WORK}")

function(expect_refusal what content needle)
  file(WRITE "${WORK}/abi.h" "${content}")
  execute_process(COMMAND "${CMAKE_COMMAND}" -DHEADER=${WORK}/abi.h -DHASHES=${HASHES} -P "${check}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  string(REGEX REPLACE "[ \n]+" " " flat "${out}")
  if(rc EQUAL 0)
    message(FATAL_ERROR "${what}: the hash check passed but must fail")
  endif()
  if(NOT flat MATCHES "${needle}")
    message(FATAL_ERROR "${what}: refused, but without '${needle}':\n${out}")
  endif()
  message(STATUS "${what}: refused as expected")
endfunction()

# 1. One byte more, same version: a change without a bump.
expect_refusal("comment appended" "${original}/* changed */\n" "changed without an ABI version bump")
# 2. A field appended and the minor bumped, but no line recorded for the new version.
string(REGEX MATCH "#define SLUICE_ABI_MINOR ([0-9]+)" m "${original}")
math(EXPR next "${CMAKE_MATCH_1} + 1")
string(REPLACE "${m}" "#define SLUICE_ABI_MINOR ${next}" bumped "${original}")
string(REGEX MATCH "#define SLUICE_ABI_MAJOR ([0-9]+)" mm "${original}")
expect_refusal("minor bumped, no hash recorded" "${bumped}"
               "no line for ABI ${CMAKE_MATCH_1}.${next}")
