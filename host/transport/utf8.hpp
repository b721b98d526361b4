// UTF-8 validation for the strings that cross the wire (protocol ids, HELLO endpoints), so that
// nothing downstream (logs, plugins, JSON) ever sees bytes that are not text.
#pragma once
#include <string_view>

namespace butter::host {

// True when `s` is well-formed UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
// NUL and other control characters are refused too: they have no place in an id or a URI.
bool valid_utf8_text(std::string_view s);

}  // namespace butter::host
