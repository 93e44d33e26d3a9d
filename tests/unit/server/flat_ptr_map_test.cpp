// FlatPtrMap (the cancel registry's table): random puts, gets and erases against std::map, through
// growth, shrinking and clustered keys; backward-shift deletion must keep every other key
// reachable.
#include "session/flat_ptr_map.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <vector>

namespace sluice {
namespace {

void expect_same(const FlatPtrMap<int>& flat, const std::map<uint64_t, int*>& oracle,
                 const std::vector<uint64_t>& probes) {
  ASSERT_EQ(flat.size(), oracle.size());
  for (const auto& [k, v] : oracle) ASSERT_EQ(flat.get(k), v) << "key " << k;
  for (uint64_t k : probes) {
    auto it = oracle.find(k);
    ASSERT_EQ(flat.get(k), it == oracle.end() ? nullptr : it->second) << "key " << k;
  }
}

TEST(FlatPtrMap, matches_a_map_under_random_puts_and_erases) {
  std::vector<int> values(64);
  for (uint64_t key_space : {uint64_t{200}, uint64_t{1} << 40}) {  // dense (clusters) and sparse
    std::mt19937_64 rng(key_space);
    FlatPtrMap<int> flat;
    std::map<uint64_t, int*> oracle;
    std::vector<uint64_t> probes;
    for (int round = 0; round < 20000; ++round) {
      const uint64_t k = 1 + rng() % key_space;
      int* v = &values[rng() % values.size()];
      // Grow to a few thousand, then mostly erase (exercises shrinking), then grow again.
      const int phase = (round / 5000) % 2;
      if (rng() % 10 < (phase == 0 ? 7 : 2)) {
        flat.put(k, v);
        oracle[k] = v;
      } else {
        flat.erase(k);
        oracle.erase(k);
      }
      if (round % 997 == 0) {
        probes.assign({k, k + 1, 1 + rng() % key_space});
        expect_same(flat, oracle, probes);
      }
    }
    expect_same(flat, oracle, probes);
    for (const auto& [k, v] : std::map<uint64_t, int*>(oracle)) {
      flat.erase(k);
      oracle.erase(k);
    }
    EXPECT_EQ(flat.size(), 0U);
    EXPECT_EQ(flat.get(probes.empty() ? 1 : probes.front()), nullptr);
  }
}

TEST(FlatPtrMap, key_zero_is_never_stored_and_load_stays_at_most_three_quarters) {
  int a = 0;
  FlatPtrMap<int> flat;
  flat.put(0, &a);
  EXPECT_EQ(flat.size(), 0U);
  EXPECT_EQ(flat.get(0), nullptr);
  for (uint64_t k = 1; k <= 5000; ++k) {
    flat.put(k << 32, &a);  // the cancel registry's pid in the high half
    ASSERT_LE(flat.size() * 4, flat.capacity() * 3);
  }
  EXPECT_EQ(flat.capacity(), 8192U);  // 5000 entries: 16 bytes x 8192 / 5000 = 26 per entry
  for (uint64_t k = 1; k <= 4990; ++k) flat.erase(k << 32);
  EXPECT_EQ(flat.size(), 10U);
  EXPECT_LE(flat.capacity(), 256U);  // given back
  for (uint64_t k = 4991; k <= 5000; ++k) EXPECT_EQ(flat.get(k << 32), &a);
}

}  // namespace
}  // namespace sluice
