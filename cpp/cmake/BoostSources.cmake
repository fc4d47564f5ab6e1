# How the engine gets Boost.JSON and Boost.URL, which are not header-only. Per library:
# - its src.hpp compiled into the engine once (cpp/src/detail/boost_<lib>_src.cpp) where that
#   header is still usable: what the engine was developed and fuzzed with (the sanitizer and
#   libFuzzer trees instrument Boost's parsers too);
# - otherwise Boost's compiled library: Boost.URL's src.hpp is a bare #error from Boost 1.83 on
#   ("src.hpp is discontinued"; Debian 13 ships 1.83). Its static archive, not the shared
#   library: the shared libboost_url of 1.81 and 1.83 does not export every function its headers
#   declare (params_view(params_view const&, encoding_opts) is missing, which the emulator uses:
#   an undefined reference, or an undefined symbol when _core.so is imported), and the archive
#   keeps _core.so free of a runtime dependency on one Boost release, as src.hpp did.
#   (Debian's archives are position-independent, so they link into _core.so.)
#
# harvest_connect_boost_libraries(<components_var> <sources_var>) sets <components_var> to the
# Boost components linked as static archives (targets Boost::<lib>; the installed CMake package
# finds them again the same way) and <sources_var> to the src.hpp files to compile.
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
    set(Boost_USE_STATIC_LIBS ON)   # in this function's scope only
    find_package(Boost ${Boost_VERSION} EXACT CONFIG OPTIONAL_COMPONENTS ${components})
    foreach(lib IN LISTS components)
      if(NOT TARGET Boost::${lib})
        message(FATAL_ERROR "Boost ${Boost_VERSION} (${boost_include_dirs}) has no usable boost/${lib}/src.hpp "
          "and its compiled static library libboost_${lib}.a was not found: install it (Debian: "
          "libboost-${lib}-dev; scripts/install-deps.sh does this).")
      endif()
      message(STATUS "Boost.${lib}: linking Boost ${Boost_VERSION}'s static libboost_${lib}.a (its src.hpp is discontinued)")
    endforeach()
  endif()
  set(${components_var} ${components} PARENT_SCOPE)
  set(${sources_var} ${sources} PARENT_SCOPE)
endfunction()
