// The daemon's global operator new/delete: a small per-thread cache of freed blocks in front of
// malloc, for the sizes sessions allocate and free over and over (coroutine frames, Asio
// operations, login strings). glibc's malloc/free cost about 150 instructions for such a pair
// here (its checks and bins; frames above 1 KB miss its per-thread cache); a cached block costs a
// pop and a push. Blocks are cut in glibc's own size steps, so none is bigger than malloc would
// make it (idle clients cost what they did). Every block comes from malloc and any block may go
// back to free, so blocks can cross threads. An unsized delete takes a block's size class from
// malloc_usable_size; a sized delete from its size, which is the size it was allocated with. Per
// thread at most kBudget bytes are kept, and the janitor gives back what a thread's cache did not
// hand out between two of its ticks (trim_thread_cache): without that, blocks of classes the steady
// state never asks for (left by the logins of a warm-up or a burst) filled the budget, and with 50
// clients queueing for 20 servers most frames went to malloc and back. Not built with sanitizers
// (they must see every allocation).
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)

#include <malloc.h>

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

#include "memory/thread_cache.hpp"

namespace {

// Size classes follow glibc's chunks (x86-64: 16-byte steps, 8 bytes of header), so a cached block
// is exactly as big as malloc would have made it: class c serves requests of up to
// kSmallest + 16 c bytes, which is what malloc_usable_size reports for such a block.
constexpr std::size_t kStep = 16;
constexpr std::size_t kSmallest = 24;
constexpr std::size_t kClasses = 512;                    // up to 8,200 bytes
constexpr std::size_t kBudget = std::size_t{64} * 1024;  // bytes kept per thread, at most

constexpr std::size_t class_size(std::size_t c) {
  return kSmallest + c * kStep;
}
constexpr std::size_t class_for_request(std::size_t n) {  // smallest class that holds n
  return n <= kSmallest ? 0 : (n - kSmallest + kStep - 1) / kStep;
}
constexpr std::size_t class_for_usable(std::size_t u) {  // largest class a block of u bytes serves
  return (u - kSmallest) / kStep;
}

struct FreeBlock {
  FreeBlock* next;
};
// Zero-initialised and trivially destructible: no TLS guard, usable from the first allocation on.
// Blocks still cached when a thread ends are not given back (a daemon's threads end at exit).
thread_local FreeBlock* t_bins[kClasses];
thread_local std::size_t t_cached;
// Blocks per class now, and the fewest since the last trim (those were not needed meanwhile).
thread_local std::uint16_t t_count[kClasses];
thread_local std::uint16_t t_low[kClasses];

void* allocate(std::size_t n) {
  if (n == 0) n = 1;
  const std::size_t c = class_for_request(n);
  if (c < kClasses) {
    if (FreeBlock* b = t_bins[c]) {
      t_bins[c] = b->next;
      t_cached -= class_size(c);
      if (--t_count[c] < t_low[c]) t_low[c] = t_count[c];
      return b;
    }
    n = class_size(c);  // what malloc would round it up to anyway
  }
  for (;;) {
    if (void* p = std::malloc(n)) return p;
    std::new_handler handler = std::get_new_handler();
    if (!handler) throw std::bad_alloc();
    handler();
  }
}

// Caches `p` as a block of class `c` when the budget allows, else frees it.
void cache_or_free(void* p, std::size_t c) noexcept {
  if (c < kClasses && t_cached + class_size(c) <= kBudget) {
    auto* b = static_cast<FreeBlock*>(p);
    b->next = t_bins[c];
    t_bins[c] = b;
    t_cached += class_size(c);
    ++t_count[c];
    return;
  }
  std::free(p);
}

void deallocate(void* p) noexcept {
  if (!p) return;
  const std::size_t usable = ::malloc_usable_size(p);
  if (usable < kSmallest) {
    std::free(p);
    return;
  }
  cache_or_free(p, class_for_usable(usable));
}

// A sized delete names the size its block was allocated with (anything else is undefined
// behaviour), and allocate() gave that request a block of at least its class's size: the class
// follows from `n` without asking malloc (malloc_usable_size was most of a cached free's cost).
void deallocate(void* p, std::size_t n) noexcept {
  if (!p) return;
  const std::size_t c = class_for_request(n == 0 ? 1 : n);
  assert(c >= kClasses || ::malloc_usable_size(p) >= class_size(c));
  cache_or_free(p, c);
}

static_assert(kBudget / kSmallest <= UINT16_MAX);  // no class can hold more blocks than a count
static_assert(class_for_request(class_size(7)) == 7 && class_for_usable(class_size(7)) == 7);
static_assert(class_for_request(class_size(7) + 1) == 8 &&
              class_for_usable(class_size(8) - 1) == 7);

}  // namespace

namespace sluice::memory {

void trim_thread_cache() noexcept {
  for (std::size_t c = 0; c < kClasses; ++c) {
    // The list's tail: the t_low oldest blocks, none of which was handed out since the last trim.
    const std::uint16_t unused = t_low[c];
    if (unused > 0) {
      FreeBlock** cut = &t_bins[c];
      for (std::uint16_t i = unused; i < t_count[c]; ++i) cut = &(*cut)->next;
      FreeBlock* b = *cut;
      *cut = nullptr;
      while (b) {
        FreeBlock* next = b->next;
        std::free(b);
        b = next;
      }
      t_count[c] = static_cast<std::uint16_t>(t_count[c] - unused);
      t_cached -= unused * class_size(c);
    }
    t_low[c] = t_count[c];
  }
}

}  // namespace sluice::memory

void* operator new(std::size_t n) {
  return allocate(n);
}
void* operator new[](std::size_t n) {
  return allocate(n);
}
void* operator new(std::size_t n, const std::nothrow_t& /*tag*/) noexcept {
  try {
    return allocate(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t& /*tag*/) noexcept {
  try {
    return allocate(n);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept {
  deallocate(p);
}
void operator delete[](void* p) noexcept {
  deallocate(p);
}
void operator delete(void* p, std::size_t n) noexcept {
  deallocate(p, n);
}
void operator delete[](void* p, std::size_t n) noexcept {
  deallocate(p, n);
}
void operator delete(void* p, const std::nothrow_t& /*tag*/) noexcept {
  deallocate(p);
}
void operator delete[](void* p, const std::nothrow_t& /*tag*/) noexcept {
  deallocate(p);
}

#endif
