# Third-party dependencies: Debian packages (scripts/setup.sh installs them) and DuckDB, either
# the pinned build scripts/setup.sh caches or an official release given by -DDUCKDB_ROOT=DIR
# (a folder holding duckdb.h and libduckdb.so, flat or in include/ and lib/).

find_package(PkgConfig REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)
find_package(tomlplusplus 3 REQUIRED)
find_package(Threads REQUIRED)
# The PostgreSQL warehouse target (libpq from libpq-dev).
find_package(PostgreSQL REQUIRED)

if(NOT DUCKDB_ROOT)
  if(DEFINED ENV{DUCKDB_ROOT})
    set(DUCKDB_ROOT $ENV{DUCKDB_ROOT})
  elseif(DEFINED ENV{DLAKE_CACHE})
    set(DUCKDB_ROOT $ENV{DLAKE_CACHE}/duckdb-1.4.4)
  else()
    set(DUCKDB_ROOT $ENV{HOME}/.cache/dlake/duckdb-1.4.4)
  endif()
endif()
set(DUCKDB_ROOT "${DUCKDB_ROOT}" CACHE PATH "Folder holding duckdb.h and libduckdb.so")

find_path(DUCKDB_INCLUDE_DIR duckdb.h PATHS ${DUCKDB_ROOT} ${DUCKDB_ROOT}/include NO_DEFAULT_PATH)
find_library(DUCKDB_LIBRARY duckdb PATHS ${DUCKDB_ROOT} ${DUCKDB_ROOT}/lib NO_DEFAULT_PATH)
if(NOT DUCKDB_INCLUDE_DIR OR NOT DUCKDB_LIBRARY)
  message(FATAL_ERROR "DuckDB not found under '${DUCKDB_ROOT}'. Run scripts/setup.sh, or pass "
                      "-DDUCKDB_ROOT=DIR pointing at an official libduckdb release.")
endif()
message(STATUS "DuckDB: ${DUCKDB_LIBRARY}")

add_library(duckdb SHARED IMPORTED GLOBAL)
set_target_properties(duckdb PROPERTIES
  IMPORTED_LOCATION ${DUCKDB_LIBRARY}
  INTERFACE_INCLUDE_DIRECTORIES ${DUCKDB_INCLUDE_DIR})
get_filename_component(DUCKDB_LIBRARY_DIR ${DUCKDB_LIBRARY} DIRECTORY)

# Built binaries find libduckdb.so through their RUNPATH (no LD_LIBRARY_PATH); installed ones
# through $ORIGIN/../lib, where the install step puts a copy.
set(CMAKE_BUILD_RPATH ${DUCKDB_LIBRARY_DIR})
set(CMAKE_INSTALL_RPATH "\$ORIGIN/../lib")
install(FILES ${DUCKDB_LIBRARY} DESTINATION lib)

find_package(GTest)
find_package(benchmark)

# Exchange downloads: libcurl (TLS verification, proxies from the environment); the fake
# exchange servers of the tests: cpp-httplib.
find_package(CURL REQUIRED)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
