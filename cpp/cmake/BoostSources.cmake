# How the engine gets Boost.JSON and Boost.URL, which are not header-only. Per library:
# - its src.hpp compiled into the engine once (cpp/src/detail/boost_<lib>_src.cpp) where that
#   header is still usable: what the engine was developed and fuzzed with (the sanitizer and
#   libFuzzer trees instrument Boost's parsers too);
# - otherwise Boost's compiled library: Boost.URL's src.hpp is a bare #error from Boost 1.83 on
#   ("src.hpp is discontinued"; Debian 13 ships 1.83). The shared library: Debian's static
#   archives are not position-independent (they cannot go into _core.so). Its exports are not
#   all its headers declare: 1.81 and 1.83 lack params_view(params_view const&, encoding_opts),
#   so the engine uses only the constructors they export.
#
# harvest_connect_boost_libraries(<components_var> <sources_var>) sets <components_var> to the
# Boost components to link (targets Boost::<lib>; the installed CMake package finds them
# again) and <sources_var> to the src.hpp files to compile.
function(harvest_connect_boost_libraries components_var sources_var)
  get_target_property(boost_include_dirs Boost::headers INTERFACE_INCLUDE_DIRECTORIES)
  set(components)
  set(sources)
  foreach(lib IN ITEMS json url)
    find_file(src_hpp boost/${lib}/src.hpp PATHS ${boost_include_dirs} NO_DEFAULT_PATH NO_CACHE)
    set(discontinued)
    if(src_hpp)
      file(STRINGS ${src_hpp} discontinued REGEX "^[ \t]*#[ \t]*error")
    endif()
    if(src_hpp AND NOT discontinued)
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
      message(STATUS "Boost.${lib}: linking Boost ${Boost_VERSION}'s compiled libboost_${lib} (its src.hpp is discontinued)")
    endforeach()
  endif()
  set(${components_var} ${components} PARENT_SCOPE)
  set(${sources_var} ${sources} PARENT_SCOPE)
endfunction()
