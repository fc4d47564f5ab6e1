# Boost's headers from PyPI's boost-headers package, for a build on a machine without
# Boost >= 1.81 (pip install . needs then only a compiler and OpenSSL's and SQLite's
# development files). pyproject.toml lists boost-headers as a build requirement.
#
# The package is offered to find_package(Boost) through CMake's package redirects
# (CMAKE_FIND_PACKAGE_REDIRECTS_DIR, searched before anything else): the rest of the build
# sees an ordinary Boost with its Boost::headers target and no compiled libraries, so
# Boost.JSON and Boost.URL are compiled into the engine from their src.hpp. That is why
# pyproject.toml takes boost-headers 1.81 or 1.82: from Boost 1.83 on Boost.URL's src.hpp is
# an #error ("discontinued"), and boost-headers carries headers only, no library sources
# (checked: its 1.85.0.post1 wheel has include/boost only, url/src.hpp is that #error).
#
# HARVEST_CONNECT_BOOST_FROM_PYPI: AUTO uses it only when no Boost >= 1.81 is found; ON always
# (make wheel: the same Boost whatever the build machine has); OFF never.
set(HARVEST_CONNECT_BOOST_FROM_PYPI AUTO CACHE STRING "Take Boost's headers from the boost-headers Python package: AUTO, ON or OFF")
set_property(CACHE HARVEST_CONNECT_BOOST_FROM_PYPI PROPERTY STRINGS AUTO ON OFF)

set(_hc_use_pypi_boost ${HARVEST_CONNECT_BOOST_FROM_PYPI})
if(_hc_use_pypi_boost STREQUAL "AUTO")
  find_package(Boost 1.81 CONFIG QUIET)
  if(Boost_FOUND)
    set(_hc_use_pypi_boost OFF)
  else()
    set(_hc_use_pypi_boost ON)
  endif()
endif()

if(_hc_use_pypi_boost)
  # The interpreter pip builds with (scikit-build-core passes it; pip's isolated build
  # environment, where boost-headers is installed, is on its path), else python3.
  set(_hc_python ${Python_EXECUTABLE})
  if(NOT _hc_python)
    find_program(_hc_python NAMES python3 python NO_CACHE)
  endif()
  set(_hc_boost_fix "pip install 'boost-headers>=1.81,<1.83' (pip install . does it itself), or install Boost >= 1.81 (Debian 12: libboost1.81-dev, Debian 13 and Ubuntu: libboost-dev, Fedora: boost-devel, macOS: brew install boost)")
  if(_hc_python)
    execute_process(COMMAND ${_hc_python} -c "import boost_headers; print(boost_headers.get_include())"
      OUTPUT_VARIABLE _hc_boost_include OUTPUT_STRIP_TRAILING_WHITESPACE
      RESULT_VARIABLE _hc_rc ERROR_QUIET)
  endif()
  if(NOT _hc_python OR NOT _hc_rc EQUAL 0 OR NOT EXISTS "${_hc_boost_include}/boost/version.hpp")
    message(FATAL_ERROR "No Boost >= 1.81 found, and Python (${_hc_python}) has no boost-headers package: ${_hc_boost_fix}.")
  endif()
  file(STRINGS "${_hc_boost_include}/boost/version.hpp" _hc_boost_version REGEX "^#define BOOST_VERSION [0-9]+")
  string(REGEX REPLACE ".* ([0-9]+)$" "\\1" _hc_boost_version "${_hc_boost_version}")
  math(EXPR _hc_major "${_hc_boost_version} / 100000")
  math(EXPR _hc_minor "${_hc_boost_version} / 100 % 1000")
  math(EXPR _hc_patch "${_hc_boost_version} % 100")
  set(_hc_boost_version "${_hc_major}.${_hc_minor}.${_hc_patch}")
  if(_hc_boost_version VERSION_LESS 1.81 OR _hc_boost_version VERSION_GREATER_EQUAL 1.83)
    message(FATAL_ERROR "boost-headers ${_hc_boost_version} (${_hc_boost_include}) cannot build the engine: it needs Boost 1.81 or 1.82, whose Boost.URL still compiles from src.hpp: ${_hc_boost_fix}.")
  endif()
  message(STATUS "Boost ${_hc_boost_version}: headers from the boost-headers Python package (${_hc_boost_include})")

  file(WRITE "${CMAKE_FIND_PACKAGE_REDIRECTS_DIR}/boost-config.cmake" "\
# Written by cpp/cmake/BoostFromPyPI.cmake: Boost's headers from the boost-headers package.
set(Boost_VERSION ${_hc_boost_version})
set(Boost_INCLUDE_DIRS \"${_hc_boost_include}\")
if(NOT TARGET Boost::headers)
  add_library(Boost::headers INTERFACE IMPORTED)
  set_target_properties(Boost::headers PROPERTIES INTERFACE_INCLUDE_DIRECTORIES \"${_hc_boost_include}\")
endif()
# Headers only: no compiled component is found here.
foreach(_c IN LISTS Boost_FIND_COMPONENTS)
  set(Boost_\${_c}_FOUND FALSE)
  if(Boost_FIND_REQUIRED_\${_c})
    set(Boost_FOUND FALSE)
    set(Boost_NOT_FOUND_MESSAGE \"boost-headers has no compiled Boost.\${_c}\")
  endif()
endforeach()
")
  write_basic_package_version_file("${CMAKE_FIND_PACKAGE_REDIRECTS_DIR}/boost-config-version.cmake"
    VERSION ${_hc_boost_version} COMPATIBILITY AnyNewerVersion ARCH_INDEPENDENT)
  unset(Boost_DIR CACHE)
endif()
