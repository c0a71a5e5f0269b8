// Property test: thousands of random writes (sets, re-tags, deletes, batches, short TTLs)
// interleaved with random query trees, each answer compared with a brute-force evaluation
// over an in-test model. Runs on every backend, with and without the tag index.
#include <algorithm>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "conformance/store_fixture.hpp"
#include "index/query_node.hpp"

namespace nadb::testing {
namespace {

using Kind = index::QueryNode::Kind;

struct ModelKey {
  std::set<std::string> tags;
  std::uint64_t size = 0;
  std::int64_t expires_ms = 0;  // 0: none (exact value read back from the store)
};
using Model = std::map<std::string, ModelKey>;

class QueryProperty : public StoreTest {};
NADB_CONFORMANCE_SUITE(QueryProperty);

const std::vector<std::string> kTags = {"a", "b", "c", "d", "e", "f", "with space", "x:y"};

Query random_query(std::mt19937& rng, int depth) {
  switch (depth <= 0 ? rng() % 4 : rng() % 7) {
    case 0:
      return Query::tag(kTags[rng() % kTags.size()]);
    case 1:
      return Query::key_prefix(std::string(1, static_cast<char>('k' + rng() % 3)));
    case 2:
      return Query::key_equals("k" + std::to_string(rng() % 40));
    case 3: {
      std::int64_t lo = rng() % 1500;
      return Query::range("size", lo, lo + rng() % 1500);
    }
    case 4:
      return !random_query(rng, depth - 1);
    case 5:
      return random_query(rng, depth - 1) && random_query(rng, depth - 1);
    default:
      return random_query(rng, depth - 1) || random_query(rng, depth - 1);
  }
}

bool model_matches(const index::QueryNode& n, const std::string& key, const ModelKey& m) {
  switch (n.kind) {
    case Kind::Tag:
      return m.tags.count(n.text) > 0;
    case Kind::KeyPrefix:
      return key.compare(0, n.text.size(), n.text) == 0;
    case Kind::KeyEquals:
      return key == n.text;
    case Kind::Range:
      return static_cast<std::int64_t>(m.size) >= n.min &&
             static_cast<std::int64_t>(m.size) <= n.max;
    case Kind::Not:
      return !model_matches(*n.children[0], key, m);
    case Kind::And:
      for (const auto& c : n.children) {
        if (!model_matches(*c, key, m)) return false;
      }
      return true;
    case Kind::Or:
      for (const auto& c : n.children) {
        if (model_matches(*c, key, m)) return true;
      }
      return false;
  }
  return false;
}

// refused(keys): whether the store refuses a batch over keys (NotSupported, writing nothing).
void random_write(KeyValueStore& s, Model& model, std::mt19937& rng,
                  const std::function<bool(const std::vector<std::string>&)>& refused) {
  auto key = [&] {
    return std::string(1, static_cast<char>('k' + rng() % 3)) + std::to_string(rng() % 40);
  };
  auto tags = [&] {
    std::vector<std::string> t;
    for (const auto& tag : kTags) {
      if (rng() % 3 == 0) t.push_back(tag);
    }
    return t;
  };
  auto put = [&](const std::string& k, const std::vector<std::string>& t,
                 std::optional<std::chrono::seconds> ttl) {
    std::size_t size = rng() % 2000;
    s.set(k, std::string(size, 'v'), SetOptions{t, ttl});
    auto meta = s.get_metadata(k);
    model[k] =
        ModelKey{{t.begin(), t.end()},
                 size,
                 meta && meta->expires_at ? meta->expires_at->time_since_epoch().count() : 0};
  };
  switch (rng() % 10) {
    case 0:
    case 1: {
      std::string k = key();
      s.remove(k);
      model.erase(k);
      break;
    }
    case 2: {
      std::vector<std::string> keys = {key(), key(), key()};
      if (refused(keys)) {
        EXPECT_THROW(s.batch_remove(keys), NotSupported);  // and removes nothing
        break;
      }
      s.batch_remove(keys);
      for (const auto& k : keys)
        model.erase(k);
      break;
    }
    case 3: {
      std::string k1 = key(), k2 = key();
      auto t1 = tags(), t2 = tags();
      if (refused({k1, k2})) {
        EXPECT_THROW(s.batch_set({{k1, "x", t1, {}}, {k2, "yy", t2, {}}}), NotSupported);
        break;
      }
      s.batch_set({{k1, "x", t1, {}}, {k2, "yy", t2, {}}});
      model[k1] = ModelKey{{t1.begin(), t1.end()}, 1, 0};
      model[k2] = ModelKey{{t2.begin(), t2.end()}, 2, 0};
      break;
    }
    case 4:
      put(key(), tags(), std::chrono::seconds(1));  // expires during the test
      break;
    default:
      put(key(), tags(), std::nullopt);
  }
}

TEST_P(QueryProperty, RandomQueriesMatchTheModel) {
  for (bool indexing : {true, false}) {
    Options o = options(indexing ? "indexed" : "scanned");
    o.enable_indexing = indexing;
    o.cache_size = 64;
    KeyValueStore s(o);
    Model model;
    std::mt19937 rng(indexing ? 11 : 12);
    auto refused = [&](const std::vector<std::string>& keys) {
      return refuses_batches_over_groups() && !one_group(keys, o.ns);
    };
    int compared = 0;
    for (int step = 0; step < 3000; ++step) {
      random_write(s, model, rng, refused);
      if (step % 10 != 0) continue;
      if (step % 1000 == 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(400));  // let TTLs pass
      Query q = random_query(rng, 3);
      std::int64_t before =
          static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
      QueryResult r = s.query(q, 1, 100000);
      QueryResult again = s.query(q, 1, 100000);  // often from the cache
      std::int64_t after =
          static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
      std::set<std::string> expected, got(r.keys.begin(), r.keys.end());
      for (const auto& [key, m] : model) {
        bool expired_for_sure = m.expires_ms != 0 && m.expires_ms <= before;
        bool ambiguous = m.expires_ms != 0 && m.expires_ms > before && m.expires_ms <= after;
        if (ambiguous)
          got.erase(key);  // expired somewhere during the query: either answer is right
        if (!expired_for_sure && !ambiguous && model_matches(index::QueryAccess::root(q), key, m))
          expected.insert(key);
      }
      ASSERT_TRUE(std::is_sorted(r.keys.begin(), r.keys.end()));
      ASSERT_EQ(got, expected) << q.to_string() << " indexing=" << indexing << " step " << step;
      std::set<std::string> got_again(again.keys.begin(), again.keys.end());
      for (const auto& [key, m] : model) {
        if (m.expires_ms != 0 && m.expires_ms > before && m.expires_ms <= after)
          got_again.erase(key);
      }
      ASSERT_EQ(got_again, expected) << "cached answer differs for " << q.to_string();
      ++compared;
    }
    EXPECT_EQ(compared, 300);
  }
}

}  // namespace
}  // namespace nadb::testing
