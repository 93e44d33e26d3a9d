# ABI tripwire (as Envoy's dynamic modules do): abi.h must hash to the value recorded in
# sdk/abi_hashes.txt for the ABI version it declares, so it cannot change without a version bump.
#   cmake -DHEADER=sdk/include/sluice/abi.h -DHASHES=sdk/abi_hashes.txt -P abi_header_hash.cmake
foreach(var HEADER HASHES)
  if(NOT EXISTS "${${var}}")
    message(FATAL_ERROR "${var}=${${var}} does not exist")
  endif()
endforeach()

file(STRINGS "${HEADER}" defines REGEX "^#define SLUICE_ABI_(MAJOR|MINOR) ")
foreach(line IN LISTS defines)
  if(line MATCHES "^#define SLUICE_ABI_(MAJOR|MINOR) ([0-9]+)$")
    set(abi_${CMAKE_MATCH_1} ${CMAKE_MATCH_2})
  endif()
endforeach()
if(NOT DEFINED abi_MAJOR OR NOT DEFINED abi_MINOR)
  message(FATAL_ERROR "${HEADER}: no '#define SLUICE_ABI_MAJOR/MINOR <number>' lines found")
endif()
set(version "${abi_MAJOR}.${abi_MINOR}")
file(SHA256 "${HEADER}" actual)

file(STRINGS "${HASHES}" entries REGEX "^[0-9]+\\.[0-9]+ [0-9a-f]+$")
set(recorded "")
foreach(entry IN LISTS entries)
  string(REPLACE " " ";" fields "${entry}")
  list(GET fields 0 v)
  list(GET fields 1 h)
  if(v STREQUAL version)
    if(recorded)
      message(FATAL_ERROR "${HASHES}: ABI ${version} is listed twice")
    endif()
    set(recorded "${h}")
  elseif(h STREQUAL actual)
    message(FATAL_ERROR "abi.h is byte for byte the header of ABI ${v}, but declares ${version}")
  endif()
endforeach()

if(NOT recorded)
  message(FATAL_ERROR "${HASHES} has no line for ABI ${version} (declared in abi.h). If you just "
                      "bumped the version on purpose, append:\n  ${version} ${actual}")
endif()
if(NOT recorded STREQUAL actual)
  message(FATAL_ERROR "abi.h changed without an ABI version bump: it declares ${version}, whose "
                      "recorded SHA-256 is ${recorded}, but it now hashes to ${actual}.\n"
                      "Bump SLUICE_ABI_MINOR (compatible, append-only change) or SLUICE_ABI_MAJOR "
                      "(anything else) in abi.h and append '<new version> <new hash>' to "
                      "${HASHES}. See sdk/ABI_POLICY.md.")
endif()
message(STATUS "abi.h matches the recorded hash of ABI ${version} (${actual})")
