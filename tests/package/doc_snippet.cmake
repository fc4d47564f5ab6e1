# cmake -DROOT=<checkout> -DOUT_DIR=<dir> -P doc_snippet.cmake: docs/cpp.md's journey is the code between the
# "// [journey]" markers of tests/package/main.cpp (the program make package-test builds against
# the installed package and runs), verbatim but for the indentation. Fails when they differ.
file(READ ${ROOT}/tests/package/main.cpp source)
file(READ ${ROOT}/docs/cpp.md doc)
string(REGEX MATCH "// \\[journey\\]\n(.*)\n[ ]*// \\[journey\\]" _ "${source}")
set(code "${CMAKE_MATCH_1}")
string(REGEX MATCH "<!-- journey: tests/package/main.cpp -->\n```cpp\n(.*)\n```\n<!-- /journey -->" _ "${doc}")
set(shown "${CMAKE_MATCH_1}")
if(code STREQUAL "" OR shown STREQUAL "")
  message(FATAL_ERROR "journey markers not found: '// [journey]' twice in tests/package/main.cpp, and "
    "'<!-- journey: tests/package/main.cpp -->' + a cpp block + '<!-- /journey -->' in docs/cpp.md")
endif()
# main.cpp indents the journey by two spaces (it is inside a function); the doc does not.
# (string(REGEX REPLACE) would take "^" at every match, so newlines are matched instead.)
string(REGEX REPLACE "\n  " "\n" code "\n${code}")
string(SUBSTRING "${code}" 1 -1 code)
if(NOT code STREQUAL shown)
  file(WRITE ${OUT_DIR}/journey-from-main.cpp "${code}\n")
  message(FATAL_ERROR "docs/cpp.md's journey differs from tests/package/main.cpp's: copy the code between "
    "the // [journey] markers (without its two-space indent) into the doc; it is in "
    "${OUT_DIR}/journey-from-main.cpp")
endif()
message(STATUS "docs/cpp.md's journey is tests/package/main.cpp's")
