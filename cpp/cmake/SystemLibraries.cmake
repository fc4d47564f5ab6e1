# OpenSSL and SQLite, the two libraries a build takes from the system. A missing one stops
# CMake with one line naming the package to install, instead of FindOpenSSL's list of
# variables. CMakeLists.txt's own find_package(... REQUIRED) calls then find the same.
#
# HARVEST_CONNECT_STATIC_DEPS=ON (make wheel) links both from their static archives (Debian's
# libssl-dev and libsqlite3-dev ship libssl.a, libcrypto.a and libsqlite3.a) and keeps their
# symbols out of the module's dynamic symbol table (--exclude-libs): the wheel's _core then
# needs nothing but glibc and libstdc++, and cannot bind to, or be bound by, another OpenSSL
# or SQLite in the same process (Python's own _ssl and _sqlite3 load the system's copies).
find_package(Threads REQUIRED)
option(HARVEST_CONNECT_STATIC_DEPS "Link OpenSSL and SQLite statically (the self-contained wheel)" OFF)

if(HARVEST_CONNECT_STATIC_DEPS)
  set(OPENSSL_USE_STATIC_LIBS ON)
  find_library(HARVEST_CONNECT_SQLITE3_STATIC NAMES libsqlite3.a)
  if(NOT HARVEST_CONNECT_SQLITE3_STATIC)
    message(FATAL_ERROR "HARVEST_CONNECT_STATIC_DEPS needs SQLite's static library libsqlite3.a: install libsqlite3-dev (Debian/Ubuntu) or sqlite-devel + sqlite-static (Fedora).")
  endif()
  set(SQLite3_LIBRARY ${HARVEST_CONNECT_SQLITE3_STATIC} CACHE FILEPATH "SQLite library" FORCE)
  add_link_options(LINKER:--exclude-libs,ALL)
endif()

find_package(OpenSSL 3.0 QUIET)
if(NOT OpenSSL_FOUND)
  message(FATAL_ERROR "OpenSSL 3 development files not found: install libssl-dev (Debian/Ubuntu), openssl-devel (Fedora) or openssl@3 (macOS: brew install openssl@3, then set OPENSSL_ROOT_DIR=$(brew --prefix openssl@3)).")
endif()
find_package(SQLite3 QUIET)
if(NOT SQLite3_FOUND)
  message(FATAL_ERROR "SQLite 3 development files not found: install libsqlite3-dev (Debian/Ubuntu), sqlite-devel (Fedora) or sqlite (macOS: brew install sqlite).")
endif()
if(HARVEST_CONNECT_STATIC_DEPS)
  # libsqlite3.a's own needs (FindSQLite3 knows only the shared library's).
  if(TARGET SQLite3::SQLite3)   # CMake >= 4.3's name; SQLite::SQLite3 before
    set_property(TARGET SQLite3::SQLite3 APPEND PROPERTY INTERFACE_LINK_LIBRARIES Threads::Threads ${CMAKE_DL_LIBS} m)
  endif()
  set_property(TARGET SQLite::SQLite3 APPEND PROPERTY INTERFACE_LINK_LIBRARIES Threads::Threads ${CMAKE_DL_LIBS} m)
endif()

