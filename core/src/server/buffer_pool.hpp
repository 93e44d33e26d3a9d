// Per-shard free list of fixed-size I/O buffers: a connection holds one only while bytes are in
// flight, so idle clients cost no buffer memory (DESIGN.md §9).
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace sluice {

class BufferPool {
 public:
  static constexpr std::size_t kBufferSize = std::size_t{32} * 1024;

  struct Buffer {
    std::unique_ptr<std::byte[]> data{new std::byte[kBufferSize]};
  };
  // Returns a buffer to the pool it came from when destroyed. Single-threaded: use on one shard.
  class Lease {
   public:
    Lease() = default;
    Lease(BufferPool* pool, std::unique_ptr<Buffer> buf) : pool_(pool), buf_(std::move(buf)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&& other) noexcept {
      reset();
      pool_ = other.pool_;
      buf_ = std::move(other.buf_);
      return *this;
    }
    ~Lease() { reset(); }
    std::byte* data() const { return buf_->data.get(); }
    static constexpr std::size_t size() { return kBufferSize; }
    void reset() {
      if (buf_) pool_->give_back(std::move(buf_));
    }

   private:
    BufferPool* pool_ = nullptr;
    std::unique_ptr<Buffer> buf_;
  };

  Lease take() {
    if (free_.empty()) return Lease(this, std::make_unique<Buffer>());
    auto b = std::move(free_.back());
    free_.pop_back();
    return Lease(this, std::move(b));
  }

 private:
  static constexpr std::size_t kMaxFree = 256;  // beyond this, memory goes back to the allocator
  void give_back(std::unique_ptr<Buffer> b) {
    if (free_.size() < kMaxFree) free_.push_back(std::move(b));
  }
  std::vector<std::unique_ptr<Buffer>> free_;
};

}  // namespace sluice
