// std::optional's interface with the value on the heap: the storage is allocated at the first
// emplace() and kept (reused by later emplace() calls) until the HeapOptional is destroyed or
// release()d, so an
// object that never needs the value pays one pointer for it, and one that keeps re-creating it
// (a server socket per link) allocates once. One pointer in size: while it holds a value the
// pointer is one past the storage's (at least 2-aligned) address, so its low bit says so.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>

namespace sluice {

template <class T>
class HeapOptional {
 public:
  HeapOptional() = default;
  HeapOptional(const HeapOptional&) = delete;
  HeapOptional& operator=(const HeapOptional&) = delete;
  ~HeapOptional() {
    reset();
    if (void* storage = raw()) ::operator delete(storage, kAlign);
  }

  template <class... Args>
  T& emplace(Args&&... args) {
    reset();
    if (!tagged_) tagged_ = static_cast<std::byte*>(::operator new(sizeof(T), kAlign));
    T* value = ::new (static_cast<void*>(tagged_)) T(std::forward<Args>(args)...);
    ++tagged_;
    return *value;
  }
  void reset() noexcept {
    if (!has_value()) return;
    T* value = get();
    --tagged_;
    value->~T();
  }
  // reset(), and the storage goes back too (a hibernating session: docs/architecture.md).
  void release() noexcept {
    reset();
    if (tagged_) ::operator delete(tagged_, kAlign);
    tagged_ = nullptr;
  }

  bool has_value() const noexcept { return (reinterpret_cast<std::uintptr_t>(tagged_) & 1) != 0; }
  explicit operator bool() const noexcept { return has_value(); }
  T* operator->() noexcept { return get(); }
  const T* operator->() const noexcept { return get(); }
  T& operator*() noexcept { return *get(); }
  const T& operator*() const noexcept { return *get(); }

 private:
  static constexpr std::align_val_t kAlign{std::max<std::size_t>(alignof(T), 2)};
  void* raw() const noexcept { return has_value() ? tagged_ - 1 : tagged_; }
  T* get() const noexcept { return std::launder(static_cast<T*>(raw())); }

  std::byte* tagged_ = nullptr;  // the storage, + 1 while it holds a value
};

}  // namespace sluice
