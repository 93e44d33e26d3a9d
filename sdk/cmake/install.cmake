# Install rules of the plugin SDK (component "dev", package sluice-dev): the public headers, the
# CMake package SluiceSDK (find_package + sluice_add_plugin), pkg-config sluice-sdk and the examples.
include(CMakePackageConfigHelpers)

# The ABI version, read from the header so it is written in one place only.
file(STRINGS "${CMAKE_CURRENT_SOURCE_DIR}/include/sluice/abi.h" abi_lines
     REGEX "^#define SLUICE_ABI_(MAJOR|MINOR) [0-9]+")
foreach(line ${abi_lines})
  if(line MATCHES "^#define SLUICE_ABI_(MAJOR|MINOR) ([0-9]+)")
    set(SLUICE_ABI_${CMAKE_MATCH_1} ${CMAKE_MATCH_2})
  endif()
endforeach()
file(STRINGS "${CMAKE_CURRENT_SOURCE_DIR}/include/sluice/abi.h" sdk_line
     REGEX "^#define SLUICE_SDK_VERSION \"[0-9.]+\"")
string(REGEX REPLACE ".*\"([0-9.]+)\".*" "\\1" SLUICE_SDK_VERSION "${sdk_line}")
set(SLUICE_ABI_MAJOR ${SLUICE_ABI_MAJOR} PARENT_SCOPE)
set(SLUICE_ABI_MINOR ${SLUICE_ABI_MINOR} PARENT_SCOPE)

set(SLUICE_SDK_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/SluiceSDK")
set(sdk_gen "${CMAKE_CURRENT_BINARY_DIR}/installed")

install(FILES include/sluice/abi.h include/sluice/build_flags.h include/sluice/sdk.hpp
              include/sluice/scram.hpp
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/sluice" COMPONENT dev)
install(FILES testing/include/sluice/testing/fake_host.hpp
              testing/include/sluice/testing/reference_crypto.hpp
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/sluice/testing" COMPONENT dev)

configure_package_config_file(cmake/SluiceSDKConfig.cmake.in "${sdk_gen}/SluiceSDKConfig.cmake"
  INSTALL_DESTINATION "${SLUICE_SDK_CMAKE_DIR}"
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR SLUICE_SDK_CMAKE_DIR SLUICE_PLUGIN_INSTALL_DIR)
# The package version is the SDK's (SLUICE_SDK_VERSION in abi.h), not the daemon's: a newer minor
# only adds to the ABI, so find_package(SluiceSDK 0.1) accepts 0.2 (its plugins then need a host
# >= 0.2, see ABI_POLICY.md). Header only, so any architecture may use it.
write_basic_package_version_file("${sdk_gen}/SluiceSDKConfigVersion.cmake"
  VERSION ${SLUICE_SDK_VERSION} COMPATIBILITY SameMajorVersion ARCH_INDEPENDENT)
install(FILES "${sdk_gen}/SluiceSDKConfig.cmake" "${sdk_gen}/SluiceSDKConfigVersion.cmake"
              cmake/SluiceSDKPlugin.cmake plugin.map
        DESTINATION "${SLUICE_SDK_CMAKE_DIR}" COMPONENT dev)

configure_file(cmake/sluice-sdk.pc.in "${sdk_gen}/sluice-sdk.pc" @ONLY)
install(FILES "${sdk_gen}/sluice-sdk.pc" DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig"
        COMPONENT dev)

install(DIRECTORY examples/ DESTINATION "${CMAKE_INSTALL_DATAROOTDIR}/doc/sluice-dev/examples"
        COMPONENT dev PATTERN "build*" EXCLUDE)
