# The installed tree (`cmake --install`, the .deb): programs on PATH, the lesson runner in lib/forkscope, the data in
# share/forkscope, the Python package where Debian's python3.11 finds it, a desktop entry, man pages, bash completion.
# forkscope/paths.hpp finds each of them from the running program. Only release-like builds install (no sanitizers).
include(GNUInstallDirs)

set(FORKSCOPE_DATA_DESTINATION ${CMAKE_INSTALL_DATADIR}/forkscope)
install(TARGETS forkscope-cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(TARGET forkscope)
  install(TARGETS forkscope RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(FILES assets/desktop/forkscope.desktop DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
  install(FILES assets/desktop/forkscope.svg DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps)
endif()
install(TARGETS forkscope-lesson RUNTIME DESTINATION lib/forkscope)
if(FORKSCOPE_BUILD_MPI)  # the scale-out lesson's MPI program and the wrapper preloaded into its ranks, next to the runner
  install(TARGETS forkscope-scale-out-rank RUNTIME DESTINATION lib/forkscope)
  install(TARGETS forkscope_mpi LIBRARY DESTINATION lib/forkscope)
endif()

install(DIRECTORY assets/i18n assets/lessons DESTINATION ${FORKSCOPE_DATA_DESTINATION})
# The lessons' sources, shown in the Code view, and the tutorials' own Python code.
install(DIRECTORY scenarios/ DESTINATION ${FORKSCOPE_DATA_DESTINATION}/scenarios
        FILES_MATCHING PATTERN "*.cpp" PATTERN "*.hpp" PATTERN "*.py" PATTERN "*.json" PATTERN "__pycache__" EXCLUDE)

if(TARGET forkscope_python)
  install(DIRECTORY ${CMAKE_BINARY_DIR}/python/forkscope DESTINATION lib/python3/dist-packages
          FILES_MATCHING PATTERN "*.py" PATTERN "*.so" PATTERN "__pycache__" EXCLUDE)
endif()

# The lesson SDK: the public headers, the static core and a CMake package with forkscope_add_lesson().
install(DIRECTORY core/include/forkscope DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${CMAKE_BINARY_DIR}/core/generated/forkscope/version.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/forkscope)
install(TARGETS forkscope_core ARCHIVE DESTINATION lib/forkscope)
configure_file(cmake/ForkscopeConfig.cmake.in ${CMAKE_BINARY_DIR}/cmake/ForkscopeConfig.cmake @ONLY)
include(CMakePackageConfigHelpers)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/cmake/ForkscopeConfigVersion.cmake COMPATIBILITY ExactVersion)
install(FILES ${CMAKE_BINARY_DIR}/cmake/ForkscopeConfig.cmake ${CMAKE_BINARY_DIR}/cmake/ForkscopeConfigVersion.cmake
        DESTINATION lib/cmake/Forkscope)

install(FILES tools/completion/forkscope-cli.bash DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        RENAME forkscope-cli)

# Man pages from the programs' own --help and --version (help2man), plus what --help has no room for.
find_program(HELP2MAN help2man)
if(HELP2MAN)
  set(man_pages)
  foreach(program forkscope forkscope-cli)
    if(NOT TARGET ${program})
      continue()
    endif()
    set(page ${CMAKE_BINARY_DIR}/man/${program}.1.gz)
    add_custom_command(
      OUTPUT ${page}
      COMMAND ${CMAKE_SOURCE_DIR}/tools/man/make_page $<TARGET_FILE:${program}> ${CMAKE_SOURCE_DIR}/tools/man/${program}.h2m ${page}
      DEPENDS ${program} ${CMAKE_SOURCE_DIR}/tools/man/make_page ${CMAKE_SOURCE_DIR}/tools/man/${program}.h2m
      VERBATIM)
    list(APPEND man_pages ${page})
  endforeach()
  add_custom_target(forkscope_man ALL DEPENDS ${man_pages})
  install(FILES ${man_pages} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  message(STATUS "help2man not found: no man pages (tools/setup installs it)")
endif()

# Debian's documentation files: the copyright, and the changelog compressed as Policy asks.
set(changelog ${CMAKE_BINARY_DIR}/doc/changelog.Debian.gz)
add_custom_command(OUTPUT ${changelog}
                   COMMAND sh -c "gzip -9nc '${CMAKE_SOURCE_DIR}/cmake/debian/changelog' > '${changelog}'"
                   DEPENDS ${CMAKE_SOURCE_DIR}/cmake/debian/changelog VERBATIM)
add_custom_target(forkscope_doc ALL DEPENDS ${changelog})
install(FILES cmake/debian/copyright ${changelog} DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The .deb: cpack -G DEB in the build folder (tools/package does it and runs lintian).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME forkscope)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "Forkscope maintainers <forkscope@example.org>")
set(CPACK_PACKAGE_VENDOR "Forkscope")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "process concurrency teaching sandbox and visualizer")
# CPack makes the control file's description: the summary, then these lines indented, blank lines as " .".
set(CPACK_PACKAGE_DESCRIPTION
    "Forkscope runs the examples of classic Python multiprocessing tutorials in
real child processes (fork, real locks, semaphores, queues, pipes, pools)
and shows them live on a timeline with a lane per process. A teacher can
pause, step one operation or one process at a time to force a race in front
of the class, go back, replay a saved schedule and compare runs. Python
programs run on the same timeline. Everything also runs from a terminal
(forkscope-cli).

进程并发的教学沙盒与可视化工具：在真实的子进程中运行 Python
multiprocessing 教程里的例子，并在时间线上实时显示每个进程在做什么；
可以暂停、单步、后退、重放和对比运行。")
set(CPACK_DEBIAN_PACKAGE_SECTION education)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.org/forkscope")
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# What runs besides the shared libraries shlibdeps finds: the interpreter for Python programs, the Chinese font.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "python3, python3.11, fonts-wqy-microhei, openmpi-bin, iproute2")
# What a lesson author needs besides the headers and the CMake package the .deb holds.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "g++, cmake, libfmt-dev, nlohmann-json3-dev")
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_SOURCE_DIR}/cmake/debian/postinst ${CMAKE_SOURCE_DIR}/cmake/debian/prerm)
include(CPack)
