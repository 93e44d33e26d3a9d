# sluice_add_plugin(<name> <source>...): the installed twin of the in-tree helper in
# sdk/CMakeLists.txt. Builds MODULE <name>.so (no "lib" prefix) with hidden visibility and the
# SDK's version script, so only sluice_plugin_magic and sluice_plugin_init are exported, and
# installs it into SLUICE_PLUGIN_INSTALL_DIR (default <libdir>/sluice/plugins under
# CMAKE_INSTALL_PREFIX; with -DCMAKE_INSTALL_PREFIX=/usr that is where the packaged daemon looks).
# C++ sources get C++20 and sluice/sdk.hpp; a plugin written in C needs only a C compiler.
include(GNUInstallDirs)
set(SLUICE_PLUGIN_INSTALL_DIR "${CMAKE_INSTALL_LIBDIR}/sluice/plugins"
    CACHE STRING "Where sluice_add_plugin installs plugins (relative to CMAKE_INSTALL_PREFIX)")

function(sluice_add_plugin name)
  if(NOT ARGN)
    message(FATAL_ERROR "sluice_add_plugin(${name}): no source files given")
  endif()
  add_library(${name} MODULE ${ARGN})
  get_property(languages GLOBAL PROPERTY ENABLED_LANGUAGES)
  if("CXX" IN_LIST languages)
    target_link_libraries(${name} PRIVATE SluiceSDK::sdk)
  else()
    target_link_libraries(${name} PRIVATE SluiceSDK::abi)
  endif()
  set_target_properties(${name} PROPERTIES
    PREFIX "" OUTPUT_NAME "${name}"
    C_VISIBILITY_PRESET hidden CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
  target_link_options(${name} PRIVATE
    "LINKER:--version-script=${SluiceSDK_PLUGIN_MAP}" "LINKER:--no-undefined")
  install(TARGETS ${name} LIBRARY DESTINATION "${SLUICE_PLUGIN_INSTALL_DIR}")
endfunction()
