/* tp-no-entry: a valid shared object that is not a Butter plugin: it exports a data symbol, but
 * not `butter_entry` (built without the SDK's version script).
 *
 * Proves that the loader's pre-flight (library_info) refuses the file before dlopen runs any of
 * its code: the constructor below aborts the process if the file is ever loaded. */
#include <stdlib.h>

__attribute__((visibility("default"))) const int some_other_plugin_entry = 42;

__attribute__((constructor)) static void never_run(void) { abort(); }
