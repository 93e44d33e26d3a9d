# CPack: two packages from one build, as .deb and .rpm.
#   sluice      (component daemon): /usr/bin/sluice, the built-in plugins, /etc/sluice, systemd unit,
#                tmpfiles, logrotate, man page; maintainer scripts create the system user "sluice".
#   sluice-dev  (component dev; sluice-devel as rpm): SDK headers, CMake package SluiceSDK,
#                pkg-config sluice-sdk, examples.
# Build them with scripts/package.sh (Release, prefix /usr), or: cpack -G "DEB;RPM" in the build dir.
set(CPACK_PACKAGE_NAME sluice)
set(CPACK_PACKAGE_VENDOR "sluice developers")
set(CPACK_PACKAGE_CONTACT "${SLUICE_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
# No CPACK_PACKAGE_DESCRIPTION_SUMMARY: CPack DEB would put it in front of every component's
# description; each component description's first line is its synopsis (see the end of this file).
set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(CPACK_OUTPUT_FILE_PREFIX "${PROJECT_BINARY_DIR}/packages")
set(CPACK_COMPONENTS_ALL daemon dev)
set(CPACK_STRIP_FILES ON)
if(NOT CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  message(STATUS "packaging: CMAKE_INSTALL_PREFIX is ${CMAKE_INSTALL_PREFIX}; packages want /usr "
                 "(the daemon's default plugin_dir is compiled in): use scripts/package.sh")
endif()

# ---- Debian
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)  # 0.1.0-1: a packaging of upstream 0.1.0, like the rpm's -1
set(CPACK_DEBIAN_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_DAEMON_PACKAGE_NAME sluice)
set(CPACK_DEBIAN_DAEMON_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_DAEMON_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_DAEMON_PACKAGE_SUGGESTS "postgresql-client, logrotate")
set(CPACK_DEBIAN_DAEMON_PACKAGE_CONTROL_EXTRA
  "${CMAKE_CURRENT_SOURCE_DIR}/deb/postinst;${CMAKE_CURRENT_SOURCE_DIR}/deb/prerm;${CMAKE_CURRENT_SOURCE_DIR}/deb/postrm;${CMAKE_CURRENT_BINARY_DIR}/conffiles")
set(CPACK_DEBIAN_DAEMON_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_DEV_PACKAGE_NAME sluice-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_SUGGESTS "sluice (= ${PROJECT_VERSION}), cmake, pkgconf")
# conffiles: every file the package installs under /etc (dpkg keeps local changes on upgrade).
file(WRITE "${CMAKE_CURRENT_BINARY_DIR}/conffiles"
  "${etc}/sluice/sluice.ini\n${etc}/sluice/userlist.txt\n${etc}/logrotate.d/sluice\n")

# ---- RPM
set(CPACK_RPM_COMPONENT_INSTALL ON)
set(CPACK_RPM_PACKAGE_RELOCATABLE OFF)  # paths are compiled into the daemon
set(CPACK_RPM_FILE_NAME RPM-DEFAULT)
set(CPACK_RPM_PACKAGE_LICENSE "Not yet licensed")
set(CPACK_RPM_PACKAGE_GROUP "Applications/Databases")
set(CPACK_RPM_DAEMON_PACKAGE_NAME sluice)
set(CPACK_RPM_DEV_PACKAGE_NAME sluice-devel)
set(CPACK_RPM_DAEMON_PACKAGE_REQUIRES_PRE "shadow-utils")
set(CPACK_RPM_DAEMON_PRE_INSTALL_SCRIPT_FILE "${CMAKE_CURRENT_SOURCE_DIR}/rpm/pre.sh")
set(CPACK_RPM_DAEMON_POST_INSTALL_SCRIPT_FILE "${CMAKE_CURRENT_SOURCE_DIR}/rpm/post.sh")
set(CPACK_RPM_DAEMON_PRE_UNINSTALL_SCRIPT_FILE "${CMAKE_CURRENT_SOURCE_DIR}/rpm/preun.sh")
set(CPACK_RPM_DAEMON_POST_UNINSTALL_SCRIPT_FILE "${CMAKE_CURRENT_SOURCE_DIR}/rpm/postun.sh")
set(CPACK_RPM_DAEMON_USER_FILELIST
  "%config(noreplace) ${etc}/sluice/sluice.ini"
  "%config(noreplace) %attr(0640,root,sluice) ${etc}/sluice/userlist.txt"
  "%config(noreplace) ${etc}/logrotate.d/sluice")
# Directories owned by the filesystem/systemd packages must not be claimed by ours.
set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION
  /lib /lib/systemd /lib/systemd/system /usr/lib/systemd /usr/lib/systemd/system
  /usr/lib/tmpfiles.d "${etc}" "${etc}/logrotate.d" /usr/share/man /usr/share/man/man1 /usr/share/doc
  "${CMAKE_INSTALL_FULL_LIBDIR}" "${CMAKE_INSTALL_FULL_LIBDIR}/cmake"
  "${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig")

set(CPACK_COMPONENT_DAEMON_DISPLAY_NAME "sluice daemon")
set(CPACK_COMPONENT_DAEMON_DESCRIPTION
  "PostgreSQL connection pooler compatible with PgBouncer
sluice reads PgBouncer's pgbouncer.ini and userlist.txt, answers clients
with PgBouncer's error texts, and runs on every core while keeping one
logical pool. Pool modes and authentication methods are plugins behind a stable
C ABI. This package has the daemon, the built-in plugins, a systemd unit
and a sample configuration in /etc/sluice.")
set(CPACK_COMPONENT_DEV_DISPLAY_NAME "sluice plugin SDK")
set(CPACK_COMPONENT_DEV_DESCRIPTION
  "SDK for building sluice plugins
Headers of the sluice plugin ABI (C99) and its header-only C++20 layer,
a fake host for unit-testing plugins, the CMake package SluiceSDK
(find_package + sluice_add_plugin), pkg-config sluice-sdk and example
plugins in C and C++.")
# RPM wants the synopsis and the body apart.
foreach(comp DAEMON DEV)
  string(FIND "${CPACK_COMPONENT_${comp}_DESCRIPTION}" "\n" nl)
  string(SUBSTRING "${CPACK_COMPONENT_${comp}_DESCRIPTION}" 0 ${nl} summary)
  math(EXPR body_start "${nl} + 1")
  string(SUBSTRING "${CPACK_COMPONENT_${comp}_DESCRIPTION}" ${body_start} -1 body)
  set(CPACK_RPM_${comp}_PACKAGE_SUMMARY "${summary}")
  set(CPACK_RPM_${comp}_PACKAGE_DESCRIPTION "${body}")
endforeach()

include(CPack)
