#include "engine/key_table.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace nadb::engine {
namespace {

std::vector<std::string> ordered(const KeyTable& table, std::string_view prefix = "",
                                 std::string_view after = "") {
  std::vector<std::string> keys;
  table.visit_ordered(prefix, after, [&](std::uint32_t, const KeyEntry& e) {
    keys.emplace_back(e.key.view());
    return true;
  });
  return keys;
}

TEST(KeyBytes, InlineAndHeapKeys) {
  KeyBytes small("short");
  EXPECT_EQ(small.view(), "short");
  std::string long_key(1000, 'x');
  long_key[500] = '\0';
  KeyBytes big(long_key);
  EXPECT_EQ(big.view(), long_key);
  KeyBytes moved(std::move(big));
  EXPECT_EQ(moved.view(), long_key);
  moved.assign("again");
  EXPECT_EQ(moved.view(), "again");
}

// The location find reports for key before comparing it (the slot's copy), checked to be the
// entry's: the slot must follow the entry through grows, moves and backward shifts.
KeyTable::Location slot_location(const KeyTable& table, std::string_view key) {
  std::vector<KeyTable::Location> candidates;
  std::uint32_t id = table.find(key, [&](KeyTable::Location at) { candidates.push_back(at); });
  EXPECT_NE(id, KeyTable::kNoId) << key;
  if (candidates.empty() || id == KeyTable::kNoId) return {KeyTable::kNoId, KeyTable::kNoId};
  EXPECT_EQ(candidates.back().segment, table.at(id).segment) << key;
  EXPECT_EQ(candidates.back().offset, table.at(id).offset) << key;
  return candidates.back();
}

TEST(KeyTable, MatchesAMapUnderRandomInsertsAndErases) {
  KeyTable table;
  std::map<std::string, std::uint64_t> model;  // key -> version, also its location's segment
  std::mt19937 rng(7);
  for (int step = 0; step < 20000; ++step) {
    std::string key = "k" + std::to_string(rng() % 3000);
    if (rng() % 3 == 0) key += std::string(20, 'z');  // some heap-allocated keys
    std::uint32_t id = table.find(key);
    ASSERT_EQ(id != KeyTable::kNoId, model.count(key) == 1) << key;
    if (rng() % 4 == 0) {
      if (id != KeyTable::kNoId) {
        table.erase(id);
        model.erase(key);
      }
    } else {
      auto location = KeyTable::Location{static_cast<std::uint32_t>(step), 3u * step};
      if (id == KeyTable::kNoId) {
        id = table.insert(key, location);
      } else {
        table.locate(id, location);
      }
      table.at(id).version = static_cast<std::uint64_t>(step);
      model[key] = static_cast<std::uint64_t>(step);
    }
    if (step % 997 == 0) {  // interleave ordered scans with writes
      std::vector<std::string> expected;
      for (const auto& [k, v] : model)
        expected.push_back(k);
      ASSERT_EQ(ordered(table), expected);
    }
  }
  ASSERT_EQ(table.size(), model.size());
  for (const auto& [key, version] : model) {
    std::uint32_t id = table.find(key);
    ASSERT_NE(id, KeyTable::kNoId);
    EXPECT_EQ(table.at(id).version, version);
    KeyTable::Location at = slot_location(table, key);
    EXPECT_EQ(at.segment, version);
    EXPECT_EQ(at.offset, 3 * version);
  }
}

// 70,000 keys fill the first five chunks (4096, 8192, ... 65536 entries; the last two on huge
// pages): ids must map to distinct entries across every chunk boundary, erased ids be reused.
TEST(KeyTable, EntriesSpanChunksThatDoubleInSize) {
  KeyTable table;
  auto name = [](std::uint32_t i) { return "key:" + std::to_string(i); };
  constexpr std::uint32_t kKeys = 70000;
  for (std::uint32_t i = 0; i < kKeys; ++i) {
    std::uint32_t id = table.insert(name(i), {i, i});
    ASSERT_EQ(id, i);
    table.at(id).version = i;
  }
  for (std::uint32_t i = 0; i < kKeys; i += 7)
    table.erase(table.find(name(i)));
  std::uint32_t reused = table.insert("again", {});
  EXPECT_EQ(reused % 7, 0u);
  EXPECT_LT(reused, kKeys);
  for (std::uint32_t i = 0; i < kKeys; ++i) {
    std::uint32_t id = table.find(name(i));
    if (i % 7 == 0) {
      EXPECT_EQ(id, KeyTable::kNoId) << i;
      continue;
    }
    ASSERT_EQ(id, i);
    EXPECT_EQ(table.at(id).key.view(), name(i));
    EXPECT_EQ(table.at(id).version, i);
    EXPECT_EQ(slot_location(table, name(i)).offset, i);
  }
  EXPECT_EQ(table.size(), kKeys - (kKeys + 6) / 7 + 1);
  EXPECT_EQ(ordered(table).size(), table.size());
  EXPECT_GE(table.memory_bytes(), kKeys * sizeof(KeyEntry));
}

TEST(HugePageAllocator, LargeArraysAreAlignedAndZeroed) {
  util::HugePageAllocator<std::uint64_t> allocator;
  constexpr std::size_t kLarge = (3 << 20) / sizeof(std::uint64_t);  // 3 MiB
  std::uint64_t* large = allocator.allocate(kLarge);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(large) % util::kHugePageBytes, 0u);
  EXPECT_EQ(large[0], 0u);
  EXPECT_EQ(large[kLarge - 1], 0u);
  large[kLarge - 1] = 7;  // writable to the end
  allocator.deallocate(large, kLarge);
  std::uint64_t* small = allocator.allocate(16);
  small[15] = 1;
  allocator.deallocate(small, 16);
}

TEST(KeyTable, OrderedVisitHonoursPrefixAndCursor) {
  KeyTable table;
  for (const char* k : {"b", "a2", "a1", "a3", "c", "a"})
    table.insert(k, {});
  EXPECT_EQ(ordered(table, "a"), (std::vector<std::string>{"a", "a1", "a2", "a3"}));
  EXPECT_EQ(ordered(table, "a", "a1"), (std::vector<std::string>{"a2", "a3"}));
  EXPECT_EQ(ordered(table, "", "a3"), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(ordered(table, "b", "zzz"), std::vector<std::string>{});
}

TEST(KeyTable, ReusedIdLandsAtItsNewKeysPlace) {
  KeyTable table;
  std::uint32_t a = table.insert("m", {});
  table.insert("x", {});
  ordered(table);  // merge
  table.erase(a);
  std::uint32_t reused = table.insert("a", {});  // same id, different key
  EXPECT_EQ(reused, a);
  EXPECT_EQ(ordered(table), (std::vector<std::string>{"a", "x"}));
}

// A merge of the sorted view that gives up part way changes nothing: every later scan (and
// merge) sees every key in order, ids reused by erase and insert included.
TEST(KeyTable, AnOrderingThatGivesUpChangesNothing) {
  KeyTable table;
  std::map<std::string, int> model;
  std::mt19937 rng(11);
  auto expected = [&] {
    std::vector<std::string> keys;
    for (const auto& [k, v] : model)
      keys.push_back(k);
    return keys;
  };
  for (int round = 0; round < 6; ++round) {
    for (int i = 0; i < 30000; ++i) {
      std::string key = "k" + std::to_string(rng() % 50000) + (i % 5 == 0 ? "-long-key-bytes" : "");
      std::uint32_t id = table.find(key);
      if (id != KeyTable::kNoId && rng() % 3 == 0) {
        table.erase(id);
        model.erase(key);
      } else if (id == KeyTable::kNoId) {
        table.insert(key, {1, 1});
        model[key] = 1;
      }
    }
    int asked = 0, limit = 1 + static_cast<int>(rng() % 3);  // a round asks more often
    EXPECT_FALSE(table.order_keys([&] { return ++asked >= limit; })) << "round " << round;
    if (round % 2 == 0) {
      ASSERT_EQ(ordered(table), expected()) << "round " << round;
    } else {
      ASSERT_TRUE(table.order_keys([] { return false; }));
      ASSERT_EQ(table.arrays().sorted.size(), model.size());
    }
  }
  ASSERT_EQ(ordered(table), expected());
}

}  // namespace
}  // namespace nadb::engine
