// A map from non-zero 64-bit keys to pointers, flat: one array of (key, pointer) slots, linear
// probing, at most 3/4 full, backward-shift deletion (no tombstones), shrunk when mostly empty.
// About 21-43 bytes per entry against 64 for a std::map node; the cancel registry keeps one entry
// per connected client. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sluice {

template <class T>
class FlatPtrMap {
 public:
  // Inserts or replaces; key 0 is never stored.
  void put(uint64_t key, T* value) {
    if (key == 0) return;
    if (slots_.empty() || (size_ + 1) * 4 > slots_.size() * 3)
      rehash(slots_.empty() ? kMinCapacity : slots_.size() * 2);
    size_t i = home(key);
    while (slots_[i].key != 0 && slots_[i].key != key) i = next(i);
    if (slots_[i].key == 0) ++size_;
    slots_[i] = Slot{key, value};
  }

  T* get(uint64_t key) const {
    if (key == 0 || slots_.empty()) return nullptr;
    for (size_t i = home(key); slots_[i].key != 0; i = next(i)) {
      if (slots_[i].key == key) return slots_[i].value;
    }
    return nullptr;
  }

  void erase(uint64_t key) {
    if (key == 0 || slots_.empty()) return;
    size_t hole = home(key);
    while (slots_[hole].key != key) {
      if (slots_[hole].key == 0) return;  // not there
      hole = next(hole);
    }
    // Backward shift: a later entry of the run moves into the hole unless its home lies
    // cyclically in (hole, j].
    for (size_t j = next(hole); slots_[j].key != 0; j = next(j)) {
      const size_t h = home(slots_[j].key);
      const bool stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
      if (stays) continue;
      slots_[hole] = slots_[j];
      hole = j;
    }
    slots_[hole] = Slot{};
    --size_;
    if (slots_.size() > kMinCapacity && size_ * 16 < slots_.size()) rehash(slots_.size() / 4);
  }

  size_t size() const { return size_; }
  size_t capacity() const { return slots_.size(); }

 private:
  static constexpr size_t kMinCapacity = 64;
  struct Slot {
    uint64_t key = 0;  // 0 = empty
    T* value = nullptr;
  };
  // Fibonacci hashing, so that keys with patterns (or a constant top bit) still spread.
  size_t home(uint64_t key) const {
    return static_cast<size_t>((key * 0x9E3779B97F4A7C15ULL) >> 32) & (slots_.size() - 1);
  }
  size_t next(size_t i) const { return (i + 1) & (slots_.size() - 1); }
  void rehash(size_t capacity) {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(capacity, Slot{});
    for (const Slot& s : old) {
      if (s.key == 0) continue;
      size_t i = home(s.key);
      while (slots_[i].key != 0) i = next(i);
      slots_[i] = s;
    }
  }

  std::vector<Slot> slots_;  // a power of two in size, or empty
  size_t size_ = 0;
};

}  // namespace sluice
