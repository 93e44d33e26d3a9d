// The daemon's per-thread cache of freed blocks (thread_cache_new.cpp, the executable's global
// operator new/delete), as the rest of the daemon sees it.
#pragma once

namespace sluice::memory {

// Gives back to malloc the blocks the calling thread's cache kept but did not hand out since the
// thread's previous call (for each size class, the fewest blocks it held in between: the oldest
// ones, since the cache hands out the most recently freed first). The shard janitor calls it on
// every shard thread and on the control thread, three times a second: a busy thread keeps the
// blocks it recycles, while what a burst left behind (say thousands of logins), or what warm-up
// left in classes the steady state does not use, goes back to malloc within two ticks, where
// any allocation can reuse it. A no-op where the cache is not built (sanitizer builds; programs
// other than the daemon: thread_cache_trim.cpp).
void trim_thread_cache() noexcept;

}  // namespace sluice::memory
