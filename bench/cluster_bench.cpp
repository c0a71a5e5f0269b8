#include "cluster_bench.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "nadb/backend.hpp"
#include "nadb/store.hpp"
#include "support/redis_cluster.hpp"
#include "system.hpp"

namespace nadb::bench {
namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;
constexpr std::uint32_t kThreads = 8;
constexpr std::size_t kBatch = 100;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// What the threads of one phase measured: per-call latencies (ms) and an answer to check.
struct PhaseRecord {
  std::mutex mutex;
  std::vector<double> latencies;
  std::uint64_t answer = 0;
  void add(std::vector<double>& mine, std::uint64_t answer_part) {
    std::lock_guard lock(mutex);
    latencies.insert(latencies.end(), mine.begin(), mine.end());
    answer += answer_part;
  }
};

// Runs body(thread, its stores, latencies, answer) on kThreads threads; the phase's figures.
template <typename Body>
Json run_phase(std::vector<std::unique_ptr<KeyValueStore>>& stores, std::size_t ops, Body body,
               std::uint64_t& answer) {
  PhaseRecord record;
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (std::uint32_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<double> latencies;
      std::uint64_t part = 0;
      body(t, stores, latencies, part);
      record.add(latencies, part);
    });
  }
  for (auto& thread : threads)
    thread.join();
  double secs = ms_since(start) / 1000;
  answer = record.answer;
  Json out = phase(ops, secs);
  out["ops_per_sec"] = static_cast<double>(ops) / secs;
  out["latency"] = percentiles(record.latencies);
  return out;
}

// Work is split in kLanes lanes (key i, query q: lane i % kLanes); thread t runs the lanes
// with lane % kThreads == t, each on the store of namespace lane % namespaces.
constexpr std::uint32_t kLanes = 16;
std::uint32_t lane_of(std::size_t i) {
  return static_cast<std::uint32_t>(i % kLanes);
}
bool owns(std::uint32_t t, std::uint32_t lane) {
  return lane % kThreads == t;
}

// One configuration: a cluster of `masters`, the workload over `namespaces` namespaces of
// `shards` shards each.
struct Setup {
  const char* name;
  int masters;
  std::uint32_t namespaces;
  int shards;
};
constexpr Setup kSetups[] = {{"masters_1", 1, 16, 1},
                             {"masters_3", 3, 16, 1},
                             {"one_namespace", 3, 1, 1},
                             {"one_namespace_3_shards", 3, 1, 3}};

const Setup& setup_named(const std::string& name) {
  return *std::find_if(std::begin(kSetups), std::end(kSetups),
                       [&](const Setup& s) { return name == s.name; });
}

template <typename Call>
void timed(std::vector<double>& latencies, Call call) {
  auto start = Clock::now();
  call();
  latencies.push_back(ms_since(start));
}

// Batches of up to kBatch items per batch group (StorageBackend::batch_group: the shard of a
// sharded namespace, which a cluster's batch may not leave), as an application batches.
template <typename Item>
class GroupedBatches {
 public:
  GroupedBatches(StorageBackend& backend, std::string ns,
                 std::function<void(std::vector<Item>&)> run)
      : backend_(backend), ns_(std::move(ns)), run_(std::move(run)) {}
  void add(const std::string& key, Item item) {
    auto& queue = queues_[backend_.batch_group(ns_, key)];
    queue.push_back(std::move(item));
    if (queue.size() == kBatch) flush(queue);
  }
  void finish() {
    for (auto& [group, queue] : queues_)
      flush(queue);
  }

 private:
  void flush(std::vector<Item>& queue) {
    if (!queue.empty()) run_(queue);
    queue.clear();
  }
  StorageBackend& backend_;
  const std::string ns_;
  const std::function<void(std::vector<Item>&)> run_;
  std::map<std::uint32_t, std::vector<Item>> queues_;
};

Json run_once(const Workload& w, const Setup& setup) {
  testing::RedisCluster cluster(setup.masters, 0);
  std::vector<std::unique_ptr<KeyValueStore>> stores;
  std::vector<std::shared_ptr<StorageBackend>> backends;
  for (std::uint32_t s = 0; s < setup.namespaces; ++s) {
    Options o;
    o.backend = "redis";
    o.db = "bench";
    o.ns = "ns" + std::to_string(s);
    o.redis.cluster = true;
    o.redis.port = cluster.nodes()[0]->port();
    o.redis.pool_size = kThreads;
    o.redis.shards = setup.shards;
    stores.push_back(std::make_unique<KeyValueStore>(o));
    backends.push_back(StorageFactory::create(o));
  }
  auto store_of = [&](std::uint32_t lane) -> KeyValueStore& {
    return *stores[lane % setup.namespaces];
  };
  auto ns_of = [&](std::uint32_t lane) { return "ns" + std::to_string(lane % setup.namespaces); };
  auto backend_of = [&](std::uint32_t lane) -> StorageBackend& {
    return *backends[lane % setup.namespaces];
  };
  Json out;
  std::uint64_t answer = 0;
  out["a_set"] = run_phase(
      stores, w.n,
      [&](std::uint32_t t, auto&, auto& lat, auto&) {
        for (std::uint32_t lane = 0; lane < kLanes; ++lane) {
          if (!owns(t, lane)) continue;
          GroupedBatches<BatchItem> batches(backend_of(lane), ns_of(lane), [&](auto& items) {
            timed(lat, [&] { store_of(lane).batch_set(items); });
          });
          for (std::uint32_t i = lane; i < w.n; i += kLanes) {
            batches.add(w.key_names[i], {w.key_names[i],
                                         std::string(w.value(i)),
                                         {w.tag_names[w.tag_a[i]], w.tag_names[w.tag_b[i]]},
                                         std::nullopt});
          }
          batches.finish();
        }
      },
      answer);
  out["b_get"] = run_phase(
      stores, w.gets.size(),
      [&](std::uint32_t t, auto&, auto& lat, auto& found) {
        for (std::uint32_t i : w.gets) {
          if (!owns(t, lane_of(i))) continue;
          timed(lat, [&] { found += store_of(lane_of(i)).get(w.key_names[i]) ? 1 : 0; });
        }
      },
      answer);
  out["checks"]["get_found"] = answer;
  out["c_query"] = run_phase(
      stores, w.queries.size(),
      [&](std::uint32_t t, auto&, auto& lat, auto& sum) {
        for (std::size_t q = 0; q < w.queries.size(); ++q) {
          if (!owns(t, lane_of(q))) continue;
          auto [a, b] = w.queries[q];
          timed(lat, [&] {
            sum += store_of(lane_of(q)).query_by_tags({w.tag_names[a], w.tag_names[b]}).size();
          });
        }
      },
      answer);
  out["checks"]["query_result_sum"] = answer;
  out["d_delete"] = run_phase(
      stores, w.deletes.size(),
      [&](std::uint32_t t, auto&, auto& lat, auto&) {
        for (std::uint32_t lane = 0; lane < kLanes; ++lane) {
          if (!owns(t, lane)) continue;
          GroupedBatches<std::string> batches(backend_of(lane), ns_of(lane), [&](auto& keys) {
            timed(lat, [&] { store_of(lane).batch_remove(keys); });
          });
          for (std::uint32_t i : w.deletes) {
            if (lane_of(i) == lane) batches.add(w.key_names[i], w.key_names[i]);
          }
          batches.finish();
        }
      },
      answer);
  std::uint64_t final_count = 0;
  for (auto& store : stores)
    final_count += store->count();
  out["checks"]["final_count"] = final_count;
  return out;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

Json run_cluster_bench(const Workload& w, int repeat) {
  Json result;
  result["threads"] = kThreads;
  result["n"] = w.n;
  result["cores"] = std::thread::hardware_concurrency();
  std::map<std::string, std::vector<Json>> runs;
  for (int r = 0; r < repeat; ++r) {
    for (const Setup& setup : kSetups)
      runs[setup.name].push_back(run_once(w, setup));
  }
  for (auto& [name, list] : runs) {
    // Setups of as many namespaces must agree (queries run in one namespace: more keys in it,
    // larger results).
    auto same = std::find_if(std::begin(kSetups), std::end(kSetups), [&](const Setup& s) {
      return s.namespaces == setup_named(name).namespaces;
    });
    const Json& reference = runs[same->name][0]["checks"];
    for (const Json& run : list) {
      if (run["checks"] != reference)
        throw std::runtime_error("the clusters disagree: " + run["checks"].dump() + " vs " +
                                 reference.dump());
    }
    Json& summary = result[name];
    for (const char* phase : {"a_set", "b_get", "c_query", "d_delete"}) {
      std::vector<double> rates, p99s;
      for (const Json& run : list) {
        rates.push_back(run[phase]["ops_per_sec"].get<double>());
        p99s.push_back(run[phase]["latency"]["p99_ms"].get<double>());
      }
      summary[phase] = {{"ops_per_sec", median(rates)}, {"p99_ms", median(p99s)}};
    }
    summary["checks"] = list[0]["checks"];
  }
  result["repeat"] = repeat;
  return result;
}

namespace {

// One table comparing two setups of result, phase by phase.
void compare(std::ostringstream& out, const Json& result, const char* a, const char* b,
             const char* a_label, const char* b_label) {
  char line[200];
  std::snprintf(line, sizeof line, "%-10s %16s %16s %8s %12s %12s\n", "phase",
                (std::string(a_label) + " op/s").c_str(), (std::string(b_label) + " op/s").c_str(),
                "ratio", "p99 a (ms)", "p99 b (ms)");
  out << line;
  for (const char* name : {"a_set", "b_get", "c_query", "d_delete"}) {
    const Json& one = result[a][name];
    const Json& two = result[b][name];
    double x = one["ops_per_sec"].get<double>(), y = two["ops_per_sec"].get<double>();
    std::snprintf(line, sizeof line, "%-10s %16.0f %16.0f %7.2fx %12.2f %12.2f\n", name, x, y,
                  y / x, one["p99_ms"].get<double>(), two["p99_ms"].get<double>());
    out << line;
  }
}

}  // namespace

std::string cluster_table(const Json& result) {
  std::ostringstream out;
  out << "16 namespaces, a: 1 master, b: 3 masters\n";
  compare(out, result, "masters_1", "masters_3", "1 master", "3 masters");
  out << "\none namespace on 3 masters, a: unsharded, b: shards=3 (batches grouped by shard)\n";
  compare(out, result, "one_namespace", "one_namespace_3_shards", "unsharded", "3 shards");
  out << "(" << result["threads"].get<int>() << " threads, medians of "
      << result["repeat"].get<int>() << "; this machine has " << result["cores"].get<int>()
      << " cores for the client and every node)\n";
  return out.str();
}

}  // namespace nadb::bench
