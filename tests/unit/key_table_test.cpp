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

}  // namespace
}  // namespace nadb::engine
