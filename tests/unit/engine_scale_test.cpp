// Large values and many random binary keys through the public API.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <set>

#include "nadb/nadb.hpp"
#include "support/temp_dir.hpp"
#include "support/test_options.hpp"

namespace nadb::testing {
namespace {

TEST(Scale, SixtyFourMebibyteValueRoundTripsAcrossReopen) {
  TempDir dir;
  Options options = test_options(dir.path());
  options.compression = Compression::None;
  std::string big(64 << 20, '\0');
  std::mt19937_64 rng(1);
  for (std::size_t i = 0; i < big.size(); i += 8) {
    std::uint64_t r = rng();
    std::memcpy(&big[i], &r, 8);
  }
  {
    KeyValueStore store(options);
    store.set("big", big, {"huge"});
    store.set("small", "after");
    EXPECT_EQ(store.get("big"), big);
  }
  KeyValueStore store(options);
  EXPECT_EQ(store.get("big"), big);
  EXPECT_EQ(store.get_metadata("big")->size, big.size());
  EXPECT_EQ(store.get("small"), "after");
}

TEST(Scale, HundredThousandRandomBinaryKeys) {
  TempDir dir;
  Options options = test_options(dir.path());
  std::mt19937 rng(2);
  std::set<std::string> keys;
  while (keys.size() < 100000) {
    std::string key(1 + rng() % 40, '\0');
    for (auto& c : key)
      c = static_cast<char>(rng());
    keys.insert(key);
  }
  {
    KeyValueStore store(options);
    for (const auto& key : keys)
      store.set(key, key.substr(0, 5));
  }
  KeyValueStore store(options);
  EXPECT_EQ(store.get_stats().key_count, keys.size());
  for (const auto& key : keys)
    ASSERT_EQ(store.get(key), key.substr(0, 5));
  std::vector<std::string> all = store.get_all_keys();
  EXPECT_TRUE(std::equal(all.begin(), all.end(), keys.begin(), keys.end()));  // byte order
}

}  // namespace
}  // namespace nadb::testing
