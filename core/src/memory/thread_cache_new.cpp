// The daemon's global operator new/delete: a small per-thread cache of freed blocks in front of
// malloc, for the sizes sessions allocate and free over and over (coroutine frames, Asio
// operations, login strings). glibc's malloc/free cost about 150 instructions for such a pair here
// (its checks and bins; frames above 1 KB miss its per-thread cache); a cached block costs a pop
// and a push. Every block comes from malloc and any block may go back to free, so blocks can cross
// threads and other allocators' blocks can arrive here: a freed block's size class comes from
// malloc_usable_size, never from what the caller says. Per thread at most kBudget bytes are kept.
// Not built with sanitizers (they must see every allocation).
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)

#include <malloc.h>

#include <cstddef>
#include <cstdlib>
#include <new>

namespace {

constexpr std::size_t kGranule = 64;
constexpr std::size_t kMaxCached = 8192;
constexpr std::size_t kClasses = kMaxCached / kGranule;  // class c: blocks of (c + 1) * 64 bytes
constexpr std::size_t kBudget = std::size_t{64} * 1024;  // bytes kept per thread, at most

struct FreeBlock {
  FreeBlock* next;
};
// Zero-initialised and trivially destructible: no TLS guard, usable from the first allocation on.
// Blocks still cached when a thread ends are not given back (a daemon's threads end at exit).
thread_local FreeBlock* t_bins[kClasses];
thread_local std::size_t t_cached;

void* allocate(std::size_t n) {
  if (n == 0) n = 1;
  if (n <= kMaxCached) {
    const std::size_t c = (n - 1) / kGranule;
    if (FreeBlock* b = t_bins[c]) {
      t_bins[c] = b->next;
      t_cached -= (c + 1) * kGranule;
      return b;
    }
    n = (c + 1) * kGranule;  // so the block can serve its whole class when it comes back
  }
  for (;;) {
    if (void* p = std::malloc(n)) return p;
    std::new_handler handler = std::get_new_handler();
    if (!handler) throw std::bad_alloc();
    handler();
  }
}

void deallocate(void* p) noexcept {
  if (!p) return;
  const std::size_t usable = ::malloc_usable_size(p);
  if (usable >= kGranule) {
    const std::size_t c = usable / kGranule - 1;  // largest class the block can serve
    const std::size_t size = (c + 1) * kGranule;
    if (c < kClasses && t_cached + size <= kBudget) {
      auto* b = static_cast<FreeBlock*>(p);
      b->next = t_bins[c];
      t_bins[c] = b;
      t_cached += size;
      return;
    }
  }
  std::free(p);
}

}  // namespace

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
void operator delete(void* p, std::size_t /*n*/) noexcept {
  deallocate(p);
}
void operator delete[](void* p, std::size_t /*n*/) noexcept {
  deallocate(p);
}
void operator delete(void* p, const std::nothrow_t& /*tag*/) noexcept {
  deallocate(p);
}
void operator delete[](void* p, const std::nothrow_t& /*tag*/) noexcept {
  deallocate(p);
}

#endif
