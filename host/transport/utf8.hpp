// UTF-8 validation for the strings that cross the wire (protocol ids, HELLO endpoints), so that
// nothing downstream (logs, plugins, JSON) ever sees bytes that are not text. The one
// implementation is the SDK's (butter/wire.hpp), which plugins and the fake host use too.
#pragma once
#include <butter/wire.hpp>

namespace butter::host {

// True when `s` is well-formed UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
// NUL and other control characters are refused too: they have no place in an id or a URI.
using butter::wire::valid_utf8_text;

}  // namespace butter::host
