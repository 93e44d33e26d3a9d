// std::optional's interface with the value on the heap: the storage is allocated at the first
// emplace() and kept (reused by later emplace() calls) until the HeapOptional is destroyed, so an
// object that never needs the value pays one pointer for it, and one that keeps re-creating it
// (a server socket per link) allocates once.
#pragma once

#include <cstddef>
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
    if (storage_) ::operator delete (storage_, std::align_val_t{alignof(T)});
  }

  template <class... Args>
  T& emplace(Args&&... args) {
    reset();
    if (!storage_) storage_ = ::operator new (sizeof(T), std::align_val_t{alignof(T)});
    T* value = ::new (storage_) T(std::forward<Args>(args)...);
    engaged_ = true;
    return *value;
  }
  void reset() noexcept {
    if (!engaged_) return;
    engaged_ = false;
    get()->~T();
  }

  bool has_value() const noexcept { return engaged_; }
  explicit operator bool() const noexcept { return engaged_; }
  T* operator->() noexcept { return get(); }
  const T* operator->() const noexcept { return get(); }
  T& operator*() noexcept { return *get(); }
  const T& operator*() const noexcept { return *get(); }

 private:
  T* get() const noexcept { return std::launder(static_cast<T*>(storage_)); }

  void* storage_ = nullptr;
  bool engaged_ = false;
};

}  // namespace sluice
