// The files `butter new-plugin` writes, as templates with @KEY@ placeholders (see
// new_plugin_command.cpp for the keys). Kept apart from the command so that each reads alone.
#pragma once

namespace butter::host::templates {

extern const char* const kCMakeLists;    // CMakeLists.txt: find_package(butter), the plugin, tests
extern const char* const kUnitTest;      // test/NAME_test.cpp: the plugin on the fake host
extern const char* const kCppSource;     // src/NAME.cpp: the C++ wrapper
extern const char* const kCppIfaceDecl;  //   + the vtable of --provides
extern const char* const kCppIfaceImpl;
extern const char* const kCSource;     // src/NAME.c: plain C99
extern const char* const kCIfaceDecl;  //   + the vtable of --provides
extern const char* const kCIfaceImpl;
extern const char* const kManifest;   // manifest.toml: a node that loads build/NAME.so
extern const char* const kReadme;     // README.md
extern const char* const kGitignore;  // .gitignore

}  // namespace butter::host::templates
