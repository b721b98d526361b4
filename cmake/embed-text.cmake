# Writes a C++ file defining butter::host::embedded_default_manifest() from a text file.
file(READ ${IN} content)
set(delim "BUTTER_EMBED")
file(WRITE ${OUT} "#include <string_view>\nnamespace butter::host {\nstd::string_view embedded_default_manifest() {\n  static constexpr std::string_view text = R\"${delim}(${content})${delim}\";\n  return text;\n}\n}  // namespace butter::host\n")
