# Run by `cmake --install` (install(CODE) in CMakeLists.txt): write ringline.pc for the prefix
# being installed to, which `cmake --install --prefix DIR` may have changed since configuration.
#
# The prefix is written relative to the .pc file (${pcfiledir}/../.., one .. per level of the
# libdir, three for Debian's lib/x86_64-linux-gnu), so the installed tree can move and needs no
# --define-prefix. Under /usr it is written out: pkg-config drops system directories such as
# -I/usr/include only when they are spelled that way.
#
# In: CMAKE_INSTALL_PREFIX (the install prefix), RL_PC_IN (the template), RL_PC_OUT (a scratch
# file), RL_LIBDIR and RL_INCLUDEDIR (CMAKE_INSTALL_LIBDIR and _INCLUDEDIR), PROJECT_VERSION.
# The prefix without a trailing slash ("/" becomes ""), so "${prefix}/lib" has one slash.
string(REGEX REPLACE "/+$" "" prefix "${CMAKE_INSTALL_PREFIX}")

if(IS_ABSOLUTE "${RL_LIBDIR}")
  set(pcdir "${RL_LIBDIR}/pkgconfig")
  set(RL_PC_LIBDIR "${RL_LIBDIR}")
else()
  set(pcdir "${prefix}/${RL_LIBDIR}/pkgconfig")
  set(RL_PC_LIBDIR "\${prefix}/${RL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${RL_INCLUDEDIR}")
  set(RL_PC_INCLUDEDIR "${RL_INCLUDEDIR}")
else()
  set(RL_PC_INCLUDEDIR "\${prefix}/${RL_INCLUDEDIR}")
endif()

if(prefix STREQUAL "/usr" OR IS_ABSOLUTE "${RL_LIBDIR}")
  set(RL_PC_PREFIX "${prefix}")
  if(prefix STREQUAL "")
    set(RL_PC_PREFIX "/")
  endif()
else()
  file(RELATIVE_PATH up "/${RL_LIBDIR}/pkgconfig" "/")
  string(REGEX REPLACE "/+$" "" up "${up}")
  set(RL_PC_PREFIX "\${pcfiledir}/${up}")
endif()

# One scratch file per destination: installs of one build tree may run at once (the install test
# beside cpack's staging installs) and must not write each other's prefix.
string(MD5 dest "$ENV{DESTDIR}${pcdir}")
set(scratch "${RL_PC_OUT}.${dest}")
configure_file("${RL_PC_IN}" "${scratch}" @ONLY)
file(INSTALL DESTINATION "${pcdir}" TYPE FILE RENAME ringline.pc FILES "${scratch}")
file(REMOVE "${scratch}")
