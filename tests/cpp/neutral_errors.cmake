# cmake -DSOURCE_DIR=<cpp/src> -P neutral_errors.cmake: the engine's texts (string literals in
# cpp/src) never tell the user to run a command of the Python package or the CLI: C++ programs
# use the engine too. Such hints are added by the Python layer (harvest_connect/errors.py) and
# the CLI. Fails naming each file:line with a CLI command, a command-line option or pip.
file(GLOB_RECURSE sources ${SOURCE_DIR}/*.cpp ${SOURCE_DIR}/*.hpp)
set(found)
foreach(source IN LISTS sources)
  file(STRINGS ${source} lines)
  set(number 0)
  foreach(line IN LISTS lines)
    math(EXPR number "${number} + 1")
    # Only what is inside a string literal on that line (character literals such as '"' first
    # taken out).
    string(REGEX REPLACE "'\\\\?.'" "" line "${line}")
    string(REGEX MATCHALL "\"[^\"]*\"" literals "${line}")
    foreach(literal IN LISTS literals)
      if(literal MATCHES "'harvest-connect [a-z]|\\(harvest-connect [a-z]|pip install|[ (']--[a-z][a-z-]+|hc\\.[A-Za-z]|harvest_connect\\.[A-Za-z]|[a-z]=\\.\\.\\.")
        file(RELATIVE_PATH where ${SOURCE_DIR} ${source})
        list(APPEND found "${where}:${number}: ${literal}")
      endif()
    endforeach()
  endforeach()
endforeach()
if(found)
  list(JOIN found "\n  " text)
  message(FATAL_ERROR "Engine texts that name a Python or CLI command (move the hint to the Python layer):\n  ${text}")
endif()
message(STATUS "engine texts are neutral")
