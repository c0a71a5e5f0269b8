# `cmake --install`: headers, libnadb.a and libnadb.so, the nadb command line and nadb-bench, the CMake
# package (find_package(nadb) → nadb::nadb shared, nadb::nadb_static) and nadb.pc.
include(CMakePackageConfigHelpers)

set(NADB_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/nadb)
set_target_properties(nadb PROPERTIES EXPORT_NAME nadb_static)
set_target_properties(nadb_shared PROPERTIES EXPORT_NAME nadb)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/nadb DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS nadb nadb_shared EXPORT nadbTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
# nadb-bench beside nadb: `nadb bench --compare` runs it from the same folder.
install(TARGETS nadb-cli nadb-bench RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT nadbTargets NAMESPACE nadb:: DESTINATION ${NADB_CMAKE_DIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/nadbConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/nadbConfig.cmake
                              INSTALL_DESTINATION ${NADB_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/nadbConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/nadbConfig.cmake ${PROJECT_BINARY_DIR}/nadbConfigVersion.cmake
        DESTINATION ${NADB_CMAKE_DIR})

# pkg-config finds the prefix from the .pc file's own place, so `--prefix` may change.
file(RELATIVE_PATH NADB_PC_TO_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
configure_file(${PROJECT_SOURCE_DIR}/cmake/nadb.pc.in ${PROJECT_BINARY_DIR}/nadb.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/nadb.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
