# How the engine gets Boost.JSON and Boost.URL, which are not header-only. Per library, either
# - Boost's own compiled library (target Boost::<lib>), or
# - its src.hpp compiled into the engine once (cpp/src/detail/boost_<lib>_src.cpp).
#
# Which one (HARVEST_CONNECT_BOOST_COMPILED_IN):
# - OFF: Boost's compiled library. The installed C++ package then has Boost::json/Boost::url as
#   dependencies (its CMake package finds them again), so a consumer that links Boost.JSON or
#   Boost.URL itself, or compiles their src.hpp, shares the one copy with the engine: no
#   duplicate definition, no second copy of Boost's globals (e.g. the default memory resource).
#   The shared library's own Boost code (Asio, Beast, inline functions) is local to it
#   (cpp/cmake/exports.map).
# - ON: src.hpp compiled in. For the Python module (SKBUILD: the wheel carries no Boost
#   library; _core.so exports nothing but PyInit__core), and for the sanitizer and libFuzzer
#   trees, where Boost's parsers must be instrumented too. Such a static engine defines
#   Boost.JSON's and Boost.URL's symbols itself, so it is not installed as a C++ package
#   (CMakeLists.txt): a consumer linking Boost's own copy beside it could bind to either.
# - AUTO (default): ON for SKBUILD, HARVEST_CONNECT_SANITIZE and HARVEST_CONNECT_FUZZ, else OFF;
#   a Boost without the compiled library (headers from PyPI's boost-headers) compiles it in.
# Boost.URL's src.hpp is a bare #error from Boost 1.83 on ("src.hpp is discontinued"; Debian 13
# ships 1.83): there the compiled library is always used. The shared library: Debian's static
# archives are not position-independent (they cannot go into _core.so). Its exports are not all
# its headers declare: 1.81 and 1.83 lack params_view(params_view const&, encoding_opts), so the
# engine uses only the constructors they export.
#
# harvest_connect_boost_libraries(<components_var> <sources_var>) sets <components_var> to the
# Boost components to link (targets Boost::<lib>) and <sources_var> to the src.hpp files to
# compile.
set(HARVEST_CONNECT_BOOST_COMPILED_IN AUTO CACHE STRING "Compile Boost.JSON/URL's src.hpp into the engine: AUTO, ON or OFF")
set_property(CACHE HARVEST_CONNECT_BOOST_COMPILED_IN PROPERTY STRINGS AUTO ON OFF)

function(harvest_connect_boost_libraries components_var sources_var)
  set(prefer_src ${HARVEST_CONNECT_BOOST_COMPILED_IN})
  if(prefer_src STREQUAL "AUTO")
    if(SKBUILD OR HARVEST_CONNECT_SANITIZE OR HARVEST_CONNECT_FUZZ)
      set(prefer_src ON)
    else()
      set(prefer_src OFF)
    endif()
  endif()
  get_target_property(boost_include_dirs Boost::headers INTERFACE_INCLUDE_DIRECTORIES)
  set(components)
  set(sources)
  foreach(lib IN ITEMS json url)
    find_file(src_hpp boost/${lib}/src.hpp PATHS ${boost_include_dirs} NO_DEFAULT_PATH NO_CACHE)
    set(discontinued)
    if(src_hpp)
      file(STRINGS ${src_hpp} discontinued REGEX "^[ \t]*#[ \t]*error")
    endif()
    set(src_usable OFF)
    if(src_hpp AND NOT discontinued)
      set(src_usable ON)
    endif()
    set(use_src OFF)
    if(src_usable AND prefer_src)
      set(use_src ON)
    elseif(src_usable)
      # Boost's library when this Boost has it; headers alone (boost-headers) compile it in.
      find_package(Boost ${Boost_VERSION} EXACT CONFIG QUIET OPTIONAL_COMPONENTS ${lib})
      if(NOT TARGET Boost::${lib})
        set(use_src ON)
      endif()
    endif()
    if(use_src)
      list(APPEND sources ${PROJECT_SOURCE_DIR}/cpp/src/detail/boost_${lib}_src.cpp)
      message(STATUS "Boost.${lib}: compiled into the engine from ${src_hpp}")
    else()
      list(APPEND components ${lib})
    endif()
    unset(src_hpp)
  endforeach()
  if(components)
    find_package(Boost ${Boost_VERSION} EXACT CONFIG OPTIONAL_COMPONENTS ${components})
    foreach(lib IN LISTS components)
      if(NOT TARGET Boost::${lib})
        message(FATAL_ERROR "Boost ${Boost_VERSION} (${boost_include_dirs}) has no usable boost/${lib}/src.hpp "
          "and its compiled library libboost_${lib} was not found: install it (Debian: "
          "libboost-${lib}-dev; scripts/install-deps.sh does this).")
      endif()
      message(STATUS "Boost.${lib}: linking Boost ${Boost_VERSION}'s compiled libboost_${lib}")
    endforeach()
  endif()
  set(${components_var} ${components} PARENT_SCOPE)
  set(${sources_var} ${sources} PARENT_SCOPE)
endfunction()
