// The default trim_thread_cache (memory/thread_cache.hpp): nothing to give back. Weak, so that
// the daemon's own definition (thread_cache_new.cpp, linked into the executable only) takes its
// place there, while the unit tests linking the daemon library get this one.
#include "memory/thread_cache.hpp"

namespace sluice::memory {

__attribute__((weak)) void trim_thread_cache() noexcept {}

}  // namespace sluice::memory
