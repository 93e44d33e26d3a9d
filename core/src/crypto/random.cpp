// random_bytes over the kernel's CSPRNG (getrandom(2)), through a small per-thread buffer.
#include "crypto/random.hpp"

#include <pthread.h>
#include <sys/random.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace sluice::crypto {

namespace {

// getrandom(2) never returns fewer bytes than asked for up to 256 (once the pool is initialised),
// so one refill is one syscall; small requests (salts, nonces, cancel keys) share it.
constexpr size_t kBufferSize = 256;
constexpr size_t kBufferedMax = 64;  // larger requests go to the kernel directly

struct Buffer {
  uint8_t bytes[kBufferSize];
  size_t left = 0;  // unused bytes at the start of `bytes`
};
thread_local Buffer tl_buffer;

void from_kernel(uint8_t* out, size_t n) {
  while (n > 0) {
    const ssize_t got = ::getrandom(out, n, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      std::fputs("sluice: getrandom failed, aborting\n", stderr);
      std::abort();
    }
    out += got;
    n -= static_cast<size_t>(got);
  }
}

// A forked child must not hand out the bytes its parent may still hand out too.
void forget_after_fork() {
  explicit_bzero(tl_buffer.bytes, sizeof tl_buffer.bytes);
  tl_buffer.left = 0;
}
[[maybe_unused]] const int kAtForkRegistered = pthread_atfork(nullptr, nullptr, &forget_after_fork);

}  // namespace

void random_bytes(std::span<uint8_t> out) {
  if (out.empty()) return;  // (an empty span's data() may be null: no memcpy from/to it)
  if (out.size() > kBufferedMax) {
    from_kernel(out.data(), out.size());
    return;
  }
  Buffer& b = tl_buffer;
  if (b.left < out.size()) {
    from_kernel(b.bytes, kBufferSize);
    b.left = kBufferSize;
  }
  // Each byte is handed out once and wiped.
  uint8_t* from = b.bytes + b.left - out.size();
  std::memcpy(out.data(), from, out.size());
  explicit_bzero(from, out.size());
  b.left -= out.size();
}

}  // namespace sluice::crypto
