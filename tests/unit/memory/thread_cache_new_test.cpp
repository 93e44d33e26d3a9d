// The per-thread cache behind the daemon's operator new/delete: freed blocks of a size class come
// back for the next request of that class (LIFO), whether a sized or an unsized delete freed them;
// blocks from malloc or from another thread are taken in by their usable size; the cache keeps at
// most 64 KB per thread and, when trimmed (the janitor's trim_thread_cache), gives back the blocks
// it did not hand out since the last trim, and failures follow the standard (bad_alloc, or nullptr
// from the nothrow forms). With sanitizers the file defines nothing (they must see every
// allocation): only the standard behaviour is checked then.
#include <gtest/gtest.h>
#include <malloc.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <set>
#include <thread>
#include <vector>

#include "memory/thread_cache.hpp"

namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kCached = false;
#else
constexpr bool kCached = true;
#endif

TEST(ThreadCacheNew, a_freed_block_serves_the_next_request_of_its_size_class) {
  if (!kCached) GTEST_SKIP() << "sanitizer build: the standard operator new is in use";
  void* a = ::operator new(1000);  // class 984 < n <= 1000 (glibc's chunk steps)
  std::memset(a, 0xab, 1000);
  ::operator delete(a);
  void* b = ::operator new(990);  // same class: the same block
  EXPECT_EQ(b, a);
  std::memset(b, 0xcd, 1000);      // the whole class size is usable
  void* c = ::operator new(1000);  // the cache is empty again: another block
  EXPECT_NE(c, b);
  ::operator delete(b);
  ::operator delete(c);
  // LIFO: c went back last, so it comes first.
  void* d = ::operator new(1000);
  EXPECT_EQ(d, c);
  ::operator delete(d);
}

// g++ compiles sized deletes from C++14 on, as it builds the daemon; clang only with
// -fsized-deallocation (then this test does not exist).
#if defined(__cpp_sized_deallocation)
TEST(ThreadCacheNew, a_sized_delete_files_the_block_under_its_request_class) {
  if (!kCached) GTEST_SKIP() << "sanitizer build: the standard operator new is in use";
  void* a = ::operator new(200);  // class 184 < n <= 200
  ::operator delete(a, 200);
  void* bigger = ::operator new(201);  // the next class up: not that block
  EXPECT_NE(bigger, a);
  void* b = ::operator new(185);  // the same class: the same block, all 200 bytes usable
  EXPECT_EQ(b, a);
  std::memset(b, 0x5a, 200);
  ::operator delete(b, 185);
  ::operator delete(bigger, 201);
  // The array forms too: a block the unsized form filed serves the sized one's request, and back.
  void* arr = ::operator new[](300);
  ::operator delete[](arr);
  void* c = ::operator new[](300);
  EXPECT_EQ(c, arr);
  ::operator delete[](c, 300);
  void* d = ::operator new(310);  // 297..312 bytes: the class of 300
  EXPECT_EQ(d, c);
  ::operator delete(d, 310);
}
#endif

TEST(ThreadCacheNew, a_block_from_malloc_is_taken_in_by_its_usable_size) {
  if (!kCached) GTEST_SKIP() << "sanitizer build: the standard operator new is in use";
  void* m = std::malloc(100);  // a 112-byte chunk, 104 usable: serves requests of 89..104 bytes
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(malloc_usable_size(m), 104U);
  ::operator delete(m);
  void* other = ::operator new(105);  // the next class up: not that block
  EXPECT_NE(other, m);
  void* n = ::operator new(104);
  EXPECT_EQ(n, m);
  std::memset(n, 0, 104);
  ::operator delete(n);
  ::operator delete(other);
}

// (Whether the other thread's cache served them cannot be told apart from glibc reusing them: the
// budget test below is the one that tells the cache from malloc.)
TEST(ThreadCacheNew, blocks_freed_on_another_thread_never_hand_out_live_ones) {
  auto size_of = [](int i) { return size_t{64} + static_cast<size_t>(i) * 97; };
  std::vector<void*> blocks;
  blocks.reserve(64);
  for (int i = 0; i < 64; ++i) blocks.push_back(::operator new(size_of(i)));
  // This thread's live blocks, with a pattern that must survive what the other thread does.
  std::vector<char*> mine;
  for (int i = 0; i < 64; ++i) {
    mine.push_back(new char[size_of(i)]);
    std::memset(mine.back(), 'a' + i % 26, size_of(i));
  }
  const std::set<void*> mine_set(mine.begin(), mine.end());
  std::thread other([&] {
    for (void* p : blocks) ::operator delete(p);
    std::set<void*> again;
    for (int i = 0; i < 64; ++i) {
      void* p = ::operator new(size_of(i));
      EXPECT_TRUE(again.insert(p).second) << "a live block was handed out twice";
      std::memset(p, 0xee, size_of(i));
    }
    for (void* p : again) {
      EXPECT_EQ(mine_set.count(p), 0U) << "a block live on the first thread was handed out";
      ::operator delete(p);
    }
  });
  other.join();
  for (int i = 0; i < 64; ++i) {
    for (size_t k = 0; k < size_of(i); ++k)
      ASSERT_EQ(mine[static_cast<size_t>(i)][k], 'a' + i % 26) << "block " << i << " byte " << k;
    delete[] mine[static_cast<size_t>(i)];
  }
}

TEST(ThreadCacheNew, live_blocks_are_distinct) {
  std::set<void*> live;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 200; ++i) {
      void* p = ::operator new(static_cast<size_t>(1 + (i * 61) % 9000));
      EXPECT_TRUE(live.insert(p).second) << "a live block was handed out twice";
    }
    int n = 0;
    for (auto it = live.begin(); it != live.end();) {  // free every other one, keep the rest
      if (n++ % 2 == 0) {
        ::operator delete(*it);
        it = live.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (void* p : live) ::operator delete(p);
}

// What goes back to glibc shows as free bytes in its arena; what the cache keeps does not.
// (8 KB blocks are beyond glibc's own per-thread cache; no trimming by glibc during the tests.)
constexpr size_t kBlock = 8192;  // class of 8,200 bytes, the largest the cache takes
constexpr auto kBlockBytes = static_cast<std::int64_t>(kBlock);

// Free bytes in glibc's arenas, signed so that differences may be negative.
std::int64_t free_bytes() {
  return static_cast<std::int64_t>(mallinfo2().fordblks);
}

TEST(ThreadCacheNew, the_cache_keeps_at_most_64_kb_per_thread) {
  if (!kCached) GTEST_SKIP() << "sanitizer build: the standard operator new is in use";
  ASSERT_EQ(mallopt(M_TRIM_THRESHOLD, 64 << 20), 1);
  std::thread t([] {  // a fresh thread: its cache starts empty
    std::vector<void*> blocks;
    blocks.reserve(20);
    for (int i = 0; i < 20; ++i) blocks.push_back(::operator new(kBlock));
    const std::int64_t before = free_bytes();
    for (void* p : blocks) ::operator delete(p);
    const std::int64_t freed = free_bytes() - before;
    // At most 64 KB stay in the cache: 7 blocks of 8,200 bytes (fewer if the thread's start-up
    // left something there), so at least 13 go back to malloc.
    EXPECT_GE(freed, 13 * kBlockBytes);
    EXPECT_LT(freed, 20 * kBlockBytes);  // and some were kept
    // The next request of that class is served from the cache: one of those blocks.
    void* again = ::operator new(kBlock);
    EXPECT_NE(std::find(blocks.begin(), blocks.end(), again), blocks.end());
    ::operator delete(again);
  });
  t.join();
}

TEST(ThreadCacheNew, a_trim_gives_back_the_blocks_not_handed_out_since_the_last_trim) {
  if (!kCached) GTEST_SKIP() << "sanitizer build: the standard operator new is in use";
  ASSERT_EQ(mallopt(M_TRIM_THRESHOLD, 64 << 20), 1);
  std::thread t([] {
    // Whatever the thread's start-up left goes at the second of two trims with nothing between.
    sluice::memory::trim_thread_cache();
    sluice::memory::trim_thread_cache();
    std::vector<void*> blocks;
    blocks.reserve(6);
    for (int i = 0; i < 6; ++i) blocks.push_back(::operator new(kBlock));
    for (void* p : blocks) ::operator delete(p);  // cached (6 x 8,200 < 64 KB), newest first
    std::int64_t before = free_bytes();
    // Freed since the last trim, but that trim saw none of them: nothing is known unused yet.
    sluice::memory::trim_thread_cache();
    EXPECT_LT(free_bytes() - before, kBlockBytes);
    // Until the next trim two are handed out and come back: the four others were not needed.
    void* a = ::operator new(kBlock);
    void* b = ::operator new(kBlock);
    EXPECT_EQ(a, blocks[5]);  // the most recently freed first
    EXPECT_EQ(b, blocks[4]);
    ::operator delete(b);
    ::operator delete(a);
    before = free_bytes();
    sluice::memory::trim_thread_cache();
    EXPECT_GE(free_bytes() - before, 4 * kBlockBytes);
    EXPECT_LT(free_bytes() - before, 6 * kBlockBytes);
    // The two that were used are still cached: they serve the next requests.
    void* c = ::operator new(kBlock);
    void* d = ::operator new(kBlock);
    EXPECT_EQ(c, a);
    EXPECT_EQ(d, b);
    ::operator delete(d);
    ::operator delete(c);
    // Then a trim with nothing handed out since the last one empties the class.
    sluice::memory::trim_thread_cache();
    before = free_bytes();
    sluice::memory::trim_thread_cache();
    EXPECT_GE(free_bytes() - before, 2 * kBlockBytes);
  });
  t.join();
}

TEST(ThreadCacheNew, failures_throw_or_return_null_as_the_standard_says) {
  // (ASan reports a request this size as an error of its own instead of failing it.)
  if (!kCached) GTEST_SKIP() << "sanitizer build: the standard operator new is in use";
  const size_t huge = SIZE_MAX / 2;
  EXPECT_THROW(static_cast<void>(::operator new(huge)), std::bad_alloc);
  EXPECT_THROW(static_cast<void>(::operator new[](huge)), std::bad_alloc);
  EXPECT_EQ(::operator new(huge, std::nothrow), nullptr);
  EXPECT_EQ(::operator new[](huge, std::nothrow), nullptr);
}

TEST(ThreadCacheNew, a_request_of_zero_bytes_gets_a_distinct_block) {
  void* z1 = ::operator new(0);
  void* z2 = ::operator new(0);
  EXPECT_NE(z1, nullptr);
  EXPECT_NE(z1, z2);  // distinct objects, even of size 0
  ::operator delete(z1);
  ::operator delete(z2);
  ::operator delete(nullptr);  // a no-op
}

}  // namespace
