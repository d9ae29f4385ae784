/* The plugin boundary (sdk/README.md): plain C structs, JSON as text, no
 * exception and no C++ object crossing. Both sides compile this header; the
 * host reads `weft_plugin_abi` before it touches anything else in a plugin.
 *
 * Evolution: every struct starts with struct_size; new fields go at the end
 * only and are probed by size. An incompatible change bumps WEFT_ABI_MAJOR; an
 * added field bumps WEFT_ABI_MINOR (the host accepts minor <= its own). */
#ifndef WEFT_ABI_H
#define WEFT_ABI_H

#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
#include <cstddef> /* defines the C++ library's macros, for WEFT_COMPILER_ID */
#endif

#define WEFT_ABI_MAGIC 0x54464557u /* "WEFT" in little-endian memory */
#ifdef WEFT_TEST_ABI_MAJOR         /* only for the bad_abi test fixture */
#define WEFT_ABI_MAJOR WEFT_TEST_ABI_MAJOR
#else
#define WEFT_ABI_MAJOR 1
#endif
#define WEFT_ABI_MINOR 0
/* The exported data symbol (a weft_plugin_descriptor) every plugin defines. */
#define WEFT_PLUGIN_ABI_SYMBOL "weft_plugin_abi"

/* Who compiled this side: "<compiler> / <C++ library>". The host refuses a
 * plugin built against another C++ library. */
#if defined(__clang__)
#define WEFT_DETAIL_COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define WEFT_DETAIL_COMPILER "gcc " __VERSION__
#else
#define WEFT_DETAIL_COMPILER "unknown"
#endif
#if defined(_LIBCPP_VERSION)
#define WEFT_DETAIL_STDLIB "libc++"
#elif defined(__GLIBCXX__)
#define WEFT_DETAIL_STDLIB "libstdc++"
#else
#define WEFT_DETAIL_STDLIB "unknown"
#endif
#define WEFT_COMPILER_ID WEFT_DETAIL_COMPILER " / " WEFT_DETAIL_STDLIB

#ifdef __cplusplus
extern "C" {
#endif

/* Where one side hands text to the other: the receiver copies it during the
 * call, so whoever allocated a buffer also frees it. */
typedef struct weft_text_sink {
  void* self;
  void (*write)(void* self, const char* data, size_t size);
} weft_text_sink;

/* Results of weft_plugin_descriptor.init / .run and of the host services. */
enum { WEFT_OK = 0, WEFT_FAILED = 1 };

/* Host services for one action call. On WEFT_FAILED the sink receives an error
 * object {"code","message","retryable","details"} as JSON text. */
typedef struct weft_host_api {
  uint32_t struct_size;
  void* call; /* opaque, passed back to every function */
  /* Rows of `sql` with `$n` parameters bound from the JSON array `params`. */
  int (*db_query)(void* call, const char* sql, size_t sql_size, const char* params, size_t params_size,
                  weft_text_sink* out);
  /* Affected row count as a JSON number. */
  int (*db_exec)(void* call, const char* sql, size_t sql_size, const char* params, size_t params_size,
                 weft_text_sink* out);
  /* A follow-up event, stored only if the step commits. */
  int (*emit)(void* call, const char* type, size_t type_size, const char* data, size_t data_size,
              weft_text_sink* out);
  /* level: 0 info, 1 warn, 2 error; fields: a JSON object. Never fails. */
  void (*log)(void* call, int level, const char* message, size_t message_size, const char* fields,
              size_t fields_size);
} weft_host_api;

/* One action call: `context` is a JSON object (execution_id, workflow, version,
 * step, attempt, trace_id, idempotency_key, transactional). */
typedef struct weft_action_call {
  uint32_t struct_size;
  const char* action;
  size_t action_size;
  const char* context;
  size_t context_size;
  const char* input;
  size_t input_size;
  const weft_host_api* host;
} weft_action_call;

typedef struct weft_plugin_descriptor {
  uint32_t magic;       /* WEFT_ABI_MAGIC */
  uint32_t struct_size; /* sizeof(weft_plugin_abi) as the plugin saw it */
  uint16_t abi_major;
  uint16_t abi_minor;
  const char* sdk_version; /* the weft release the plugin was built against */
  const char* compiler_id; /* compiler and C++ library: a C++ SDK needs the same toolchain */
  const char* plugin_name;
  const char* plugin_version;
  /* Registers the actions and runs the plugin's init hook with `config` (JSON).
   * WEFT_OK: `out` receives {"actions": [names...]}; WEFT_FAILED: an error object. */
  int (*init)(const char* config, size_t config_size, weft_text_sink* out);
  /* Runs one action; may be called from many threads at once.
   * WEFT_OK: `out` receives the output (JSON); WEFT_FAILED: an error object. */
  int (*run)(const weft_action_call* call, weft_text_sink* out);
  /* The plugin's shutdown hook; called once, after the last call returned. Never fails. */
  void (*shutdown)(void);
} weft_plugin_descriptor;

#ifdef __cplusplus
}
#endif

#endif /* WEFT_ABI_H */
