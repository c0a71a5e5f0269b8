// Randomized stress against the fs backend, checked against a model. Eight threads do random
// sets, deletes, re-tags, TTLs, transactions, gets and tag queries; thread 0 also flushes,
// compacts and takes backups. Each thread owns its keys, so its model is exact: every read of
// its own keys must match it, and every query must agree with it on them. Then:
//   - ModelChecked: the whole store is compared with the merged model, again after a reopen;
//   - KillAndReopen: the same workload in Durability::Sync in a child killed with SIGKILL;
//     after reopening, every key holds its last acknowledged state or, if a write to it was
//     in flight, that write's.
// NADB_STRESS_SECONDS (default 4) bounds each run; NADB_STRESS_SEED replays one (the seed is
// printed). `make stress DURATION=600` runs them long.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "nadb/nadb.hpp"
#include "support/kill_child.hpp"
#include "support/temp_dir.hpp"
#include "support/test_options.hpp"

namespace nadb::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kThreads = 8;
constexpr int kKeysPerThread = 40;
const std::vector<std::string> kTagPool = {"red", "green", "blue", "cyan", "plum", "teal"};

// make test runs a fixed seed (the threads' interleaving still varies); make stress a new one.
std::uint64_t seed_of_run() {
  if (const char* s = std::getenv("NADB_STRESS_SEED")) return std::strtoull(s, nullptr, 10);
  if (std::getenv("NADB_STRESS_SECONDS") == nullptr) return 20261205;
  return std::random_device{}();
}

std::chrono::seconds duration() {
  const char* s = std::getenv("NADB_STRESS_SECONDS");
  return std::chrono::seconds(s == nullptr ? 4 : std::max(1L, std::strtol(s, nullptr, 10)));
}

std::string key_of(int thread, int index) {
  return "t" + std::to_string(thread) + "/k" + std::to_string(index);
}

// What a key holds after a write: derived from (thread, key index, version), so that a child
// can report a write in a few bytes.
struct Item {
  std::string value;
  std::vector<std::string> tags;
  bool short_ttl = false;  // expires within seconds: checked only far from the instant
  // Before its write was made and after it returned: the store took its expiry's "now"
  // between the two (a loaded machine can stretch that to seconds).
  Clock::time_point writing, written;
  bool operator==(const Item& o) const { return value == o.value && tags == o.tags; }
};

Item item_of(int thread, int index, std::uint32_t version) {
  std::mt19937 rng(version * 7919u + static_cast<std::uint32_t>(index));
  Item item;
  item.value = key_of(thread, index) + "#" + std::to_string(version) + ":" +
               std::string(rng() % 3000, static_cast<char>('a' + version % 26));
  for (const auto& tag : kTagPool) {
    if (rng() % 3 == 0) item.tags.push_back(tag);
  }
  return item;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// One thread's keys: the model of what each holds (nullopt: absent).
using Model = std::map<int, std::optional<Item>>;

// A write about to happen or done, as the child reports it.
struct Report {
  std::uint8_t done = 0;  // 0: started, 1: acknowledged
  std::uint8_t thread = 0;
  std::uint16_t index = 0;
  std::uint32_t version = 0;  // 0: a delete
};

// The workload of one thread until `until`. report (may be empty) hears of every write before
// and after it; without one (in-process) it also checks its reads against the model, while a
// child that reports (and is killed) only writes.
class Worker {
 public:
  Worker(KeyValueStore& store, int thread, std::uint64_t seed, bool short_ttls,
         std::function<void(const Report&)> report)
      : store_(store),
        thread_(thread),
        rng_(seed * 31 + static_cast<std::uint64_t>(thread)),
        short_ttls_(short_ttls),
        report_(std::move(report)) {}

  void run(Clock::time_point until) {
    while (Clock::now() < until)
      step();
  }
  const Model& model() const { return model_; }
  std::size_t checks() const { return checks_; }

 private:
  void step() {
    int index = static_cast<int>(rng_() % kKeysPerThread);
    unsigned roll = rng_() % 100;
    if (roll < 35) return put(index, std::nullopt);
    if (roll < 45) return remove(index);
    if (roll < 50) return put(index, short_ttls_ && rng_() % 2 ? 1s : std::chrono::seconds(3600));
    if (roll < 60) return transaction(index);
    if (roll < 80) return check_get(index);
    if (roll < 90) return check_query(kTagPool[rng_() % kTagPool.size()]);
    if (thread_ == 0) maintenance(roll);
  }

  void put(int index, std::optional<std::chrono::seconds> ttl) {
    std::uint32_t version = ++version_;
    Item item = item_of(thread_, index, version);
    tell(0, index, version);
    item.writing = Clock::now();
    store_.set(key_of(thread_, index), item.value, SetOptions{item.tags, ttl});
    tell(1, index, version);
    item.short_ttl = ttl && *ttl < 10s;
    item.written = Clock::now();
    model_[index] = item;
  }

  void remove(int index) {
    tell(0, index, 0);
    store_.remove(key_of(thread_, index));
    tell(1, index, 0);
    model_[index] = std::nullopt;
  }

  // Two sets and a delete, all or nothing.
  void transaction(int index) {
    int other = (index + 1) % kKeysPerThread, gone = (index + 2) % kKeysPerThread;
    std::uint32_t v1 = ++version_, v2 = ++version_;
    Item a = item_of(thread_, index, v1), b = item_of(thread_, other, v2);
    tell(0, index, v1);
    tell(0, other, v2);
    tell(0, gone, 0);
    auto tx = store_.transaction();
    tx.set(key_of(thread_, index), a.value, a.tags);
    tx.set(key_of(thread_, other), b.value, b.tags);
    tx.remove(key_of(thread_, gone));
    tx.commit();
    tell(1, index, v1);
    tell(1, other, v2);
    tell(1, gone, 0);
    a.written = b.written = Clock::now();
    model_[index] = a;
    model_[other] = b;
    model_[gone] = std::nullopt;
  }

  // Whether the model's view of index is certain for a read made between `from` and `to` (a
  // short TTL near its instant is not): live if the read ended within 700 ms of the write's
  // start, expired if it started over 1.5 s after the write returned.
  bool certain(const std::optional<Item>& item, bool& live, Clock::time_point from,
               Clock::time_point to) const {
    live = item.has_value();
    if (!item || !item->short_ttl) return true;
    if (to - item->writing < 700ms) return true;
    if (from - item->written > 1500ms) {
      live = false;
      return true;
    }
    return false;
  }

  void check_get(int index) {
    if (report_) return;  // a child only writes
    Clock::time_point from = Clock::now();
    auto actual = store_.get_with_metadata(key_of(thread_, index));
    bool live = false;
    if (!certain(model_[index], live, from, Clock::now())) return;
    ++checks_;
    ASSERT_EQ(actual.has_value(), live) << key_of(thread_, index);
    if (live) {
      ASSERT_EQ(actual->value, model_[index]->value);
      ASSERT_EQ(sorted(actual->metadata.tags), sorted(model_[index]->tags));
    }
  }

  void check_query(const std::string& tag) {
    if (report_) return;
    Clock::time_point from = Clock::now();
    auto keys = store_.query_by_tags({tag});
    Clock::time_point to = Clock::now();
    std::set<std::string> found(keys.begin(), keys.end());
    ++checks_;
    for (const auto& [index, item] : model_) {
      bool live = false;
      if (!certain(item, live, from, to)) continue;
      bool tagged = live && std::count(item->tags.begin(), item->tags.end(), tag) > 0;
      ASSERT_EQ(found.count(key_of(thread_, index)) > 0, tagged)
          << key_of(thread_, index) << " in a query for " << tag;
    }
  }

  void maintenance(unsigned roll) {
    if (roll < 95) {
      store_.flush();
    } else if (roll < 98) {
      store_.compact_storage();
    } else if (!report_) {
      store_.create_backup();
      store_.cleanup_old_backups(2, 0);
    }
  }

  void tell(std::uint8_t done, int index, std::uint32_t version) {
    if (report_)
      report_(
          {done, static_cast<std::uint8_t>(thread_), static_cast<std::uint16_t>(index), version});
  }

  KeyValueStore& store_;
  const int thread_;
  std::mt19937_64 rng_;
  const bool short_ttls_;
  const std::function<void(const Report&)> report_;
  Model model_;
  std::uint32_t version_ = 0;
  std::size_t checks_ = 0;
};

Options stress_options(const std::string& folder, Durability durability) {
  Options o = test_options(folder);
  o.durability = durability;
  o.max_segment_size_mb = 0.25;  // rolls, hints and compactions all through the run
  o.compaction_dead_ratio = 0.3;
  return o;
}

void expect_store_matches(KeyValueStore& store, const std::vector<Model>& models,
                          const std::string& when) {
  for (int t = 0; t < kThreads; ++t) {
    for (const auto& [index, item] : models[t]) {
      if (item && item->short_ttl) continue;  // expired by now or about to
      auto actual = store.get_with_metadata(key_of(t, index));
      ASSERT_EQ(actual.has_value(), item.has_value()) << when << ": " << key_of(t, index);
      if (item) {
        ASSERT_EQ(actual->value, item->value) << when << ": " << key_of(t, index);
      }
    }
  }
}

TEST(RandomStress, ModelChecked) {
  std::uint64_t seed = seed_of_run();
  std::cout << "NADB_STRESS_SEED=" << seed << " NADB_STRESS_SECONDS=" << duration().count()
            << std::endl;
  TempDir dir;
  Options options = stress_options(dir.path(), Durability::Buffered);
  std::vector<Model> models;
  std::size_t checks = 0;
  {
    KeyValueStore store(options);
    std::vector<std::unique_ptr<Worker>> workers;
    for (int t = 0; t < kThreads; ++t)
      workers.push_back(std::make_unique<Worker>(store, t, seed, true, nullptr));
    auto until = Clock::now() + duration();
    std::vector<std::thread> threads;
    for (auto& w : workers)
      threads.emplace_back([&w, until] { w->run(until); });
    for (auto& t : threads)
      t.join();
    for (auto& w : workers) {
      models.push_back(w->model());
      checks += w->checks();
    }
    expect_store_matches(store, models, "after the run");
  }
  EXPECT_GT(checks, 100u) << "too few reads were checked to mean anything";
  KeyValueStore reopened(options);
  expect_store_matches(reopened, models, "after reopening");
}

TEST(RandomStress, KillAndReopen) {
  std::uint64_t seed = seed_of_run();
  std::cout << "NADB_STRESS_SEED=" << seed << std::endl;
  TempDir dir;
  Options options = stress_options(dir.path(), Durability::Sync);
  auto messages = run_and_kill<Report>(
      [&](int fd) {
        KeyValueStore store(options);
        auto report = [fd](const Report& r) {
          if (::write(fd, &r, sizeof r) != sizeof r) ::_exit(9);
        };
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
          threads.emplace_back(
              [&, t] { Worker(store, t, seed, false, report).run(Clock::now() + 1h); });
        }
        for (auto& t : threads)
          t.join();
      },
      std::chrono::milliseconds(500) + duration() / 2);
  // Per key: the last acknowledged version (0: deleted, nullopt: never written) and the
  // version of a write started after it (in flight at the kill).
  struct Expected {
    std::optional<std::uint32_t> acknowledged;
    std::optional<std::uint32_t> in_flight;
  };
  std::map<std::pair<int, int>, Expected> expected;
  for (const Report& r : messages) {
    Expected& e = expected[{r.thread, r.index}];
    if (r.done) {
      e.acknowledged = r.version;
      e.in_flight.reset();
    } else {
      e.in_flight = r.version;
    }
  }
  ASSERT_GT(messages.size(), 100u) << "the child did too little before the kill";
  KeyValueStore store(options);
  for (const auto& [where, e] : expected) {
    auto [thread, index] = where;
    auto actual = store.get(key_of(thread, index));
    auto matches = [&](std::optional<std::uint32_t> version) {
      if (!version) return false;
      if (*version == 0) return !actual.has_value();
      return actual == item_of(thread, index, *version).value;
    };
    if (matches(e.acknowledged) || matches(e.in_flight) || (!e.acknowledged && !actual)) continue;
    ADD_FAILURE() << key_of(thread, index) << " holds neither its acknowledged nor its "
                  << "in-flight write (seed " << seed << ")";
  }
  std::cout << messages.size() << " reports on " << expected.size() << " keys" << std::endl;
}

}  // namespace
}  // namespace nadb::testing
