/* butter/entry.h — the one symbol a plugin exports.
 *
 * Every plugin shared object exports exactly one data symbol, `butter_entry`, and nothing else
 * (the SDK's version script hides the rest). The host:
 *   1. pre-flights the file (ELF, symbol present) before running any of its code;
 *   2. reads `butter_entry.abi` and refuses another major (see version.h);
 *   3. calls init(path) once per loaded file, then get_factory(BUTTER_PLUGIN_FACTORY_ID). A file
 *      is loaded once per process, except that each hot swap loads a private copy of the new
 *      build: init runs again for that copy, in the same process, while the old copy may still be
 *      loaded (so static state is per copy, and anything process-wide must tolerate two copies);
 *   4. calls deinit() once before unloading that file. The PLUGIN's deinit must join every thread
 *      the plugin started: the host joins none of them, and unmaps the code right after.
 *
 * Thread: init/deinit/get_factory are called on the host's main thread, never concurrently. */
#ifndef BUTTER_ENTRY_H
#define BUTTER_ENTRY_H

#include "butter/version.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define BUTTER_EXPORT __declspec(dllexport)
#else
#define BUTTER_EXPORT __attribute__((visibility("default")))
#endif

typedef struct butter_plugin_entry {
  /* The ABI the plugin was built against: BUTTER_ABI_VERSION_INIT. Read before anything else. */
  butter_version abi;

  /* [main] Called once after loading. `plugin_path` is the path the host loaded (borrowed;
   * a private copy of the file during hot swap). Returns non-zero on success; on zero the host
   * unloads the file without calling deinit. */
  int (*init)(const char* plugin_path);

  /* [main] Called once before unloading, after every instance was destroyed. Idempotent. */
  void (*deinit)(void);

  /* [main] Returns the factory for `factory_id` (e.g. BUTTER_PLUGIN_FACTORY_ID), or NULL when
   * the plugin does not provide it. The pointer stays valid until deinit. */
  const void* (*get_factory)(const char* factory_id);
} butter_plugin_entry;

/* The name the host looks up. Define it in exactly one translation unit:
 *   BUTTER_EXPORT const butter_plugin_entry butter_entry = { BUTTER_ABI_VERSION_INIT, ... }; */
#define BUTTER_ENTRY_SYMBOL "butter_entry"

#ifdef __cplusplus
}
#endif
#endif
