#include "cluster_bench.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "nadb/store.hpp"
#include "support/redis_cluster.hpp"
#include "system.hpp"

namespace nadb::bench {
namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;
constexpr std::uint32_t kNamespaces = 16;
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

// The namespace of key i, and whether thread t owns it.
std::uint32_t space_of(std::uint32_t i) {
  return i % kNamespaces;
}
bool owns(std::uint32_t t, std::uint32_t space) {
  return space % kThreads == t;
}

template <typename Call>
void timed(std::vector<double>& latencies, Call call) {
  auto start = Clock::now();
  call();
  latencies.push_back(ms_since(start));
}

Json run_once(const Workload& w, int masters) {
  testing::RedisCluster cluster(masters, 0);
  std::vector<std::unique_ptr<KeyValueStore>> stores;
  for (std::uint32_t s = 0; s < kNamespaces; ++s) {
    Options o;
    o.backend = "redis";
    o.db = "bench";
    o.ns = "ns" + std::to_string(s);
    o.redis.cluster = true;
    o.redis.port = cluster.nodes()[0]->port();
    o.redis.pool_size = kThreads;
    stores.push_back(std::make_unique<KeyValueStore>(o));
  }
  Json out;
  std::uint64_t answer = 0;
  out["a_set"] = run_phase(
      stores, w.n,
      [&](std::uint32_t t, auto& s, auto& lat, auto&) {
        for (std::uint32_t space = 0; space < kNamespaces; ++space) {
          if (!owns(t, space)) continue;
          std::vector<BatchItem> items;
          for (std::uint32_t i = space; i < w.n; i += kNamespaces) {
            items.push_back({w.key_names[i],
                             std::string(w.value(i)),
                             {w.tag_names[w.tag_a[i]], w.tag_names[w.tag_b[i]]},
                             std::nullopt});
            if (items.size() == kBatch || i + kNamespaces >= w.n) {
              timed(lat, [&] { s[space]->batch_set(items); });
              items.clear();
            }
          }
        }
      },
      answer);
  out["b_get"] = run_phase(
      stores, w.gets.size(),
      [&](std::uint32_t t, auto& s, auto& lat, auto& found) {
        for (std::uint32_t i : w.gets) {
          if (!owns(t, space_of(i))) continue;
          timed(lat, [&] { found += s[space_of(i)]->get(w.key_names[i]) ? 1 : 0; });
        }
      },
      answer);
  out["checks"]["get_found"] = answer;
  out["c_query"] = run_phase(
      stores, w.queries.size(),
      [&](std::uint32_t t, auto& s, auto& lat, auto& sum) {
        for (std::size_t q = 0; q < w.queries.size(); ++q) {
          std::uint32_t space = static_cast<std::uint32_t>(q % kNamespaces);
          if (!owns(t, space)) continue;
          auto [a, b] = w.queries[q];
          timed(lat, [&] {
            sum += s[space]->query_by_tags({w.tag_names[a], w.tag_names[b]}).size();
          });
        }
      },
      answer);
  out["checks"]["query_result_sum"] = answer;
  out["d_delete"] = run_phase(
      stores, w.deletes.size(),
      [&](std::uint32_t t, auto& s, auto& lat, auto&) {
        for (std::uint32_t space = 0; space < kNamespaces; ++space) {
          if (!owns(t, space)) continue;
          std::vector<std::string> keys;
          for (std::size_t j = 0; j < w.deletes.size(); ++j) {
            if (space_of(w.deletes[j]) == space) keys.push_back(w.key_names[w.deletes[j]]);
            if (!keys.empty() && (keys.size() == kBatch || j + 1 == w.deletes.size())) {
              timed(lat, [&] { s[space]->batch_remove(keys); });
              keys.clear();
            }
          }
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
  result["namespaces"] = kNamespaces;
  result["threads"] = kThreads;
  result["n"] = w.n;
  result["cores"] = std::thread::hardware_concurrency();
  std::map<int, std::vector<Json>> runs;
  for (int r = 0; r < repeat; ++r) {
    for (int masters : {1, 3})
      runs[masters].push_back(run_once(w, masters));
  }
  for (auto& [masters, list] : runs) {
    for (const Json& run : list) {
      if (run["checks"] != runs[1][0]["checks"])
        throw std::runtime_error("the clusters disagree: " + run["checks"].dump() + " vs " +
                                 runs[1][0]["checks"].dump());
    }
    Json& summary = result["masters_" + std::to_string(masters)];
    for (const char* name : {"a_set", "b_get", "c_query", "d_delete"}) {
      std::vector<double> rates, p99s;
      for (const Json& run : list) {
        rates.push_back(run[name]["ops_per_sec"].get<double>());
        p99s.push_back(run[name]["latency"]["p99_ms"].get<double>());
      }
      summary[name] = {{"ops_per_sec", median(rates)}, {"p99_ms", median(p99s)}};
    }
    summary["checks"] = list[0]["checks"];
  }
  result["repeat"] = repeat;
  return result;
}

std::string cluster_table(const Json& result) {
  std::ostringstream out;
  char line[160];
  std::snprintf(line, sizeof line, "%-10s %14s %14s %8s %12s %12s\n", "phase", "1 master op/s",
                "3 masters op/s", "ratio", "p99 1 (ms)", "p99 3 (ms)");
  out << line;
  for (const char* name : {"a_set", "b_get", "c_query", "d_delete"}) {
    const Json& one = result["masters_1"][name];
    const Json& three = result["masters_3"][name];
    double a = one["ops_per_sec"].get<double>(), b = three["ops_per_sec"].get<double>();
    std::snprintf(line, sizeof line, "%-10s %14.0f %14.0f %7.2fx %12.2f %12.2f\n", name, a, b,
                  b / a, one["p99_ms"].get<double>(), three["p99_ms"].get<double>());
    out << line;
  }
  out << "(" << result["namespaces"].get<int>() << " namespaces, " << result["threads"].get<int>()
      << " threads, medians of " << result["repeat"].get<int>() << "; this machine has "
      << result["cores"].get<int>() << " cores for the client and every node)\n";
  return out.str();
}

}  // namespace nadb::bench
