/*
 * sluice build flags — the one definition of SLUICE_COMPILED_BUILD_FLAGS, shared by the host (which
 * compares) and the SDK's SLUICE_PLUGIN macro (which records), so both sides compute it the same
 * way.
 *
 * Pure C99, header only. The value describes the translation unit that expands it: a plugin records
 * how *it* was compiled, the daemon how *it* was compiled, and the loader refuses a plugin whose
 * SLUICE_BUILD_FLAGS_MUST_MATCH bits differ (a sanitizer runtime cannot be mixed with a plain one).
 */
#ifndef SLUICE_BUILD_FLAGS_H
#define SLUICE_BUILD_FLAGS_H

#include "sluice/abi.h"

/* Informative: assertions enabled (no NDEBUG). */
#if !defined(NDEBUG)
#define SLUICE_BUILD_FLAGS_DEBUG_BIT_ SLUICE_BUILD_FLAG_DEBUG
#else
#define SLUICE_BUILD_FLAGS_DEBUG_BIT_ 0u
#endif

/* GCC defines __SANITIZE_ADDRESS__/__SANITIZE_THREAD__; clang answers __has_feature(). The nested
 * #if keeps compilers without __has_feature from parsing the call. */
#if defined(__SANITIZE_ADDRESS__)
#define SLUICE_BUILD_FLAGS_ASAN_BIT_ SLUICE_BUILD_FLAG_ASAN
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLUICE_BUILD_FLAGS_ASAN_BIT_ SLUICE_BUILD_FLAG_ASAN
#endif
#endif
#ifndef SLUICE_BUILD_FLAGS_ASAN_BIT_
#define SLUICE_BUILD_FLAGS_ASAN_BIT_ 0u
#endif

#if defined(__SANITIZE_THREAD__)
#define SLUICE_BUILD_FLAGS_TSAN_BIT_ SLUICE_BUILD_FLAG_TSAN
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SLUICE_BUILD_FLAGS_TSAN_BIT_ SLUICE_BUILD_FLAG_TSAN
#endif
#endif
#ifndef SLUICE_BUILD_FLAGS_TSAN_BIT_
#define SLUICE_BUILD_FLAGS_TSAN_BIT_ 0u
#endif

/* The build flags of the translation unit that expands this macro. */
#define SLUICE_COMPILED_BUILD_FLAGS                                          \
  ((uint32_t)(SLUICE_BUILD_FLAGS_DEBUG_BIT_ | SLUICE_BUILD_FLAGS_ASAN_BIT_ | \
              SLUICE_BUILD_FLAGS_TSAN_BIT_))

/*
 * Size of a struct "through" one of its fields: what a reader needs at least to read that field.
 * The host uses it to state the minimum struct_size it accepts, as of the ABI minor that introduced
 * the field, so appending fields later never raises the minimum for older plugins.
 */
#define SLUICE_SIZE_THROUGH(type, field) (offsetof(type, field) + sizeof(((type*)0)->field))

#endif /* SLUICE_BUILD_FLAGS_H */
