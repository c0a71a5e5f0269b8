// Eight threads share one fs store: writers, readers, scanners and a compactor. Built a second
// time under ThreadSanitizer (ctest label "tsan").
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <random>
#include <thread>

#include "nadb/nadb.hpp"
#include "support/temp_dir.hpp"
#include "support/test_options.hpp"

namespace nadb::testing {
namespace {

std::string value_for(const std::string& key, int generation) {
  return key + "#" + std::to_string(generation);
}

TEST(Concurrency, ReadersWritersScannersAndCompactionAgree) {
  TempDir dir;
  Options options = test_options(dir.path());
  options.max_segment_size_mb = 0.0625;
  options.compaction_dead_ratio = 0.3;
  options.flush_interval = std::chrono::milliseconds(50);
  auto store = std::make_unique<KeyValueStore>(options);
  constexpr int kWriters = 4, kKeysPerWriter = 200, kOpsPerWriter = 3000;
  std::atomic<bool> done{false};
  std::atomic<int> read_errors{0};
  std::vector<std::map<std::string, std::string>> models(kWriters);

  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      std::mt19937 rng(static_cast<unsigned>(w));
      for (int i = 0; i < kOpsPerWriter; ++i) {
        std::string key = "w" + std::to_string(w) + "/" + std::to_string(rng() % kKeysPerWriter);
        switch (rng() % 6) {
          case 0:
            store->remove(key);
            models[w].erase(key);
            break;
          case 1:
            store->batch_set({{key, value_for(key, i), {"batch"}, std::nullopt},
                              {key + "b", value_for(key + "b", i), {}, std::nullopt}});
            models[w][key] = value_for(key, i);
            models[w][key + "b"] = value_for(key + "b", i);
            break;
          default:
            store->set(key, value_for(key, i), {"t" + std::to_string(i % 4)});
            models[w][key] = value_for(key, i);
        }
      }
    });
  }
  for (int r = 0; r < 2; ++r) {  // point readers: a value always belongs to its key
    threads.emplace_back([&, r] {
      std::mt19937 rng(100 + static_cast<unsigned>(r));
      while (!done) {
        std::string key =
            "w" + std::to_string(rng() % kWriters) + "/" + std::to_string(rng() % kKeysPerWriter);
        auto value = store->get(key);
        if (value && value->rfind(key + "#", 0) != 0) ++read_errors;
        auto meta = store->get_metadata(key);
        if (meta && meta->key != key) ++read_errors;
      }
    });
  }
  threads.emplace_back([&] {  // scanner: pages are ordered and unique
    while (!done) {
      std::string cursor, last;
      do {
        KeyPage page = store->scan("w", cursor, 64);
        for (const auto& k : page.keys) {
          if (!last.empty() && k <= last) ++read_errors;
          last = k;
        }
        cursor = page.next_cursor;
      } while (!cursor.empty());
    }
  });
  threads.emplace_back([&] {  // tag queries: sorted, and every key is one a writer wrote
    while (!done) {
      auto keys = store->query_by_tags({"t" + std::to_string(std::rand() % 4)});
      if (!std::is_sorted(keys.begin(), keys.end())) ++read_errors;
      QueryResult page = store->query(Query::parse("tag:batch OR NOT tag:t1"), 1, 50);
      for (const auto& k : page.keys) {
        if (k.empty() || k[0] != 'w') ++read_errors;
      }
      store->list_all_tags();
    }
  });
  // Compactor, and statistics beside the scanner (found by review: the keydir's size was read
  // while a scan merged its sorted key list).
  threads.emplace_back([&] {
    while (!done) {
      store->compact_storage();
      store->get_stats();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  for (int w = 0; w < kWriters; ++w)
    threads[w].join();
  done = true;
  for (std::size_t t = kWriters; t < threads.size(); ++t)
    threads[t].join();
  EXPECT_EQ(read_errors.load(), 0);

  auto check = [&](KeyValueStore& s) {
    std::size_t expected_count = 0;
    for (const auto& model : models) {
      expected_count += model.size();
      for (const auto& [key, value] : model)
        ASSERT_EQ(s.get(key), value) << key;
    }
    EXPECT_EQ(s.get_stats().key_count, expected_count);
    std::size_t tagged = 0;
    for (int t = 0; t < 4; ++t)
      tagged += s.query_by_tags({"t" + std::to_string(t)}).size();
    std::size_t batch = s.query_by_tags({"batch"}).size();
    EXPECT_LE(tagged + batch, expected_count);
    EXPECT_EQ(s.query(Query::parse("NOT tag:zzz"), 1, 100000).total_count, expected_count);
  };
  check(*store);
  store.reset();
  KeyValueStore reopened(options);
  check(reopened);
}

// Read-only views in the same process as their writer: threads refresh while others read,
// query and scan through the views of two namespaces (a refresh replaces the keydir under them).
// Found by review: opening a store of a new namespace attaches its index, which created the
// namespace in the keydir under the state lock only, while a writer read the keydir under the
// write lock only (a conditional write then saw an existing key as absent, or crashed).
TEST(Concurrency, OpeningNamespacesWhileWritingKeepsConditionsRight) {
  TempDir dir;
  Options options = test_options(dir.path());
  KeyValueStore writer(options);
  writer.set("taken", "v");
  std::atomic<bool> done{false};
  std::atomic<int> wrong{0};
  std::thread opener([&] {
    for (int i = 0; i < 300; ++i) {
      Options other = options;
      other.ns = "ns" + std::to_string(i);
      KeyValueStore store(other);
    }
    done = true;
  });
  while (!done) {
    if (writer.set_if_absent("taken", "stolen")) ++wrong;
    writer.set("gone", "v");
    if (!writer.remove("gone")) ++wrong;
  }
  opener.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(writer.get("taken"), "v");
}

TEST(Concurrency, ReadOnlyViewsRefreshWhileOthersReadThem) {
  TempDir dir;
  Options options = test_options(dir.path());
  options.max_segment_size_mb = 0.0625;
  options.flush_interval = std::chrono::milliseconds(20);
  KeyValueStore writer(options);
  Options other = options;
  other.ns = "other";
  KeyValueStore other_writer(other);
  writer.set("counter", "0");
  writer.flush();
  options.read_only = true;
  other.read_only = true;
  KeyValueStore view(options), other_view(other);
  std::atomic<bool> done{false};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r) {  // refreshers
    threads.emplace_back([&, r] {
      while (!done)
        (r == 0 ? view : other_view).refresh();
    });
  }
  for (int r = 0; r < 2; ++r) {  // readers: the counter never goes back; keys and tags agree
    threads.emplace_back([&] {
      long last = 0;
      while (!done) {
        long now = std::stol(view.get("counter").value_or("0"));
        if (now < last) ++errors;
        last = now;
        for (const auto& key : view.query_by_tags({"even"})) {
          if (key.empty() || key[0] != 'k') ++errors;
        }
        view.scan("k", "", 50);
        other_view.get_all_keys();
      }
    });
  }
  for (int i = 1; i <= 3000; ++i) {
    writer.set("k" + std::to_string(i % 300), std::string(200, 'v'), {i % 2 ? "odd" : "even"});
    writer.set("counter", std::to_string(i));
    other_writer.set("o" + std::to_string(i % 50), "x");
    if (i % 500 == 0) writer.compact_storage();
  }
  writer.flush();
  done = true;
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(errors.load(), 0);
  view.refresh();
  EXPECT_EQ(view.get("counter"), "3000");
  EXPECT_EQ(other_view.get_all_keys().size(), 50u);
}

}  // namespace
}  // namespace nadb::testing
