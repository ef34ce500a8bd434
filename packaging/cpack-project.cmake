# Read by cpack (CPACK_PROJECT_CONFIG_FILE) before it packages anything.
# The packages install under /usr, and paths fixed at configure time (the multiarch libdir, the
# pkg-config file's prefix, the unit's ExecStart) are right only in a build configured for /usr.
if(NOT CPACK_RINGLINE_INSTALL_PREFIX STREQUAL "/usr")
  message(FATAL_ERROR "cpack: this build is configured with CMAKE_INSTALL_PREFIX="
    "${CPACK_RINGLINE_INSTALL_PREFIX}; the Debian packages need a build configured with "
    "-DCMAKE_INSTALL_PREFIX=/usr")
endif()
