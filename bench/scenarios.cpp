// NADB's workloads beyond the standard phases, on the fs backend: durable writers in parallel
// (group commit), readers beside a writer, and a TTL-heavy run. Value sizes are the standard
// phases with other values (nadb-bench --value-size, make compare-values).
#include <nadb/nadb.hpp>

#include <atomic>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "scenarios.hpp"
#include "system.hpp"

namespace nadb::bench {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;

Options fs_options(const std::string& dir, const std::string& db, Durability durability) {
  Options options;
  options.data_folder = dir;
  options.db = db;
  options.durability = durability;
  return options;
}

// Runs fn(t) in each of `threads` threads and returns the wall time.
double in_threads(int threads, const std::function<void(int)>& fn) {
  return seconds_of([&] {
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back(fn, t);
    for (auto& thread : pool)
      thread.join();
  });
}

// Durability::Sync: every set is fsynced before it returns; concurrent writers share fsyncs.
Json sync_writers(const std::string& dir, const Workload& w) {
  constexpr std::uint32_t kOpsPerThread = 400;
  Json out = Json::object();
  double single = 0;
  for (int threads : {1, 4, 16}) {
    KeyValueStore store(fs_options(dir, "sync-" + std::to_string(threads), Durability::Sync));
    double secs = in_threads(threads, [&](int t) {
      for (std::uint32_t i = 0; i < kOpsPerThread; ++i) {
        std::uint32_t k = (static_cast<std::uint32_t>(t) * kOpsPerThread + i) % w.n;
        store.set(w.key_names[k], w.value(k), {w.tag_names[w.tag_a[k]]});
      }
    });
    double per_second = threads * kOpsPerThread / secs;
    if (threads == 1) single = per_second;
    out[std::to_string(threads)] = {{"sets", threads * kOpsPerThread},
                                    {"secs", secs},
                                    {"sets_per_second", per_second},
                                    {"vs_one_writer", per_second / single}};
  }
  return out;
}

// 4 threads of random gets for a fixed time, alone and then beside one writer.
Json readers_and_writer(const std::string& dir, const Workload& w) {
  constexpr int kReaders = 4;
  KeyValueStore store(fs_options(dir, "readers", Durability::Buffered));
  for (std::uint32_t i = 0; i < w.n; ++i)
    store.set(w.key_names[i], w.value(i), {w.tag_names[w.tag_a[i]], w.tag_names[w.tag_b[i]]});
  store.flush();
  auto measure = [&](bool with_writer) {
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> gets{0}, sets{0}, missing{0};
    std::thread writer([&] {
      for (std::uint32_t i = 0; with_writer && !stop.load(); i = (i + 1) % w.n, ++sets)
        store.set(w.key_names[i], w.value(i), {w.tag_names[w.tag_a[i]]});
    });
    double secs = in_threads(kReaders, [&](int t) {
      std::uint64_t done = 0;
      auto until = std::chrono::steady_clock::now() + 1s;
      for (std::uint32_t i = static_cast<std::uint32_t>(t) * 7919u;
           std::chrono::steady_clock::now() < until; i += 104729u) {
        for (int batch = 0; batch < 256; ++batch, ++done)
          missing += !store.get(w.key_names[(i + static_cast<std::uint32_t>(batch)) % w.n]);
      }
      gets += done;
    });
    stop = true;
    writer.join();
    if (missing.load() != 0) throw std::runtime_error("readers: a key went missing");
    return Json{{"gets_per_second", static_cast<double>(gets) / secs},
                {"sets_per_second", static_cast<double>(sets) / secs}};
  };
  Json alone = measure(false);
  Json beside = measure(true);
  return {{"readers", kReaders},
          {"alone", alone},
          {"with_writer", beside},
          {"read_throughput_kept",
           beside["gets_per_second"].get<double>() / alone["gets_per_second"].get<double>()}};
}

// Half the keys get a 1 s TTL; after it passed, reads, queries and the sweep see only the rest.
Json ttl_heavy(const std::string& dir, const Workload& w) {
  KeyValueStore store(fs_options(dir, "ttl", Durability::Buffered));
  auto tags_of = [&](std::uint32_t i) {
    return std::vector<std::string>{w.tag_names[w.tag_a[i]], w.tag_names[w.tag_b[i]]};
  };
  double set_secs = seconds_of([&] {
    for (std::uint32_t i = 0; i < w.n; ++i) {
      if (i % 2) {
        store.set_with_ttl(w.key_names[i], w.value(i), 1s, tags_of(i));
      } else {
        store.set(w.key_names[i], w.value(i), tags_of(i));
      }
    }
  });
  std::this_thread::sleep_for(1100ms);
  std::uint64_t found = 0;
  double get_secs = seconds_of([&] {
    for (std::uint32_t i = 0; i < w.n; ++i)
      found += store.get(w.key_names[i]).has_value();
  });
  std::size_t matched = 0;
  double query_secs = seconds_of([&] {
    for (auto [a, b] : w.queries)
      matched += store.query_by_tags({w.tag_names[a], w.tag_names[b]}).size();
  });
  std::size_t swept = 0;
  double sweep_secs = seconds_of([&] { swept = store.cleanup_expired(); });
  const std::uint32_t live = (w.n + 1) / 2;
  if (found != live) throw std::runtime_error("ttl: expired keys were read");
  return {{"keys", w.n},
          {"expiring", w.n / 2},
          {"set_us", set_secs * 1e6 / w.n},
          {"get_us", get_secs * 1e6 / w.n},
          {"query_us", w.queries.empty() ? 0.0 : query_secs * 1e6 / w.queries.size()},
          {"query_results", matched},
          {"swept", swept},
          {"sweep_secs", sweep_secs},
          {"found_after_expiry", found}};
}

}  // namespace

Json run_scenarios(const Workload& w, const std::string& data_dir) {
  std::filesystem::create_directories(data_dir);
  Json out = {{"n", w.n},
              {"sync_writers", sync_writers(data_dir, w)},
              {"readers_and_writer", readers_and_writer(data_dir, w)},
              {"ttl_heavy", ttl_heavy(data_dir, w)}};
  std::filesystem::remove_all(data_dir);
  return out;
}

std::string scenarios_table(const Json& s) {
  char line[200];
  std::string out = "nadb-fs, N = " + s["n"].dump() + "\n";
  for (const char* threads : {"1", "4", "16"}) {
    const Json& r = s["sync_writers"][threads];
    std::snprintf(line, sizeof line,
                  "Durability::Sync, %2s writer thread(s): %8.0f sets/s (%.1f× one writer)\n",
                  threads, r["sets_per_second"].get<double>(), r["vs_one_writer"].get<double>());
    out += line;
  }
  const Json& rw = s["readers_and_writer"];
  std::snprintf(line, sizeof line,
                "4 readers alone: %.0f gets/s; beside 1 writer (%.0f sets/s): %.0f gets/s "
                "(%.0f%% kept)\n",
                rw["alone"]["gets_per_second"].get<double>(),
                rw["with_writer"]["sets_per_second"].get<double>(),
                rw["with_writer"]["gets_per_second"].get<double>(),
                100 * rw["read_throughput_kept"].get<double>());
  out += line;
  const Json& t = s["ttl_heavy"];
  std::snprintf(line, sizeof line,
                "TTL-heavy (half the keys expire): set %.2f µs, get %.2f µs, query %.1f µs, "
                "sweep of %zu keys %.1f ms\n",
                t["set_us"].get<double>(), t["get_us"].get<double>(), t["query_us"].get<double>(),
                t["swept"].get<std::size_t>(), t["sweep_secs"].get<double>() * 1000);
  out += line;
  return out;
}

}  // namespace nadb::bench
