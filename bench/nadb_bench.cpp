// nadb-bench: runs the standard workload (../shared/bench/WORKLOAD.md) on NADB and its peers
// and prints one line "RESULT {json}" per system and repetition, then "SUMMARY {json}" with
// the median of each phase, its ratio to nadb-fs (and to redis-raw), memory and disk, then
// (without --json) the same as a table. Exits 1 if any check differs from the expected
// answers, 2 on bad arguments. --table prints only the tables.
//
//   nadb-bench (--workload FILE | --generate [--n N] [--value-size B] [--text-values]
//               [--gets G] [--queries Q] [--deletes D])
//              [--systems all|nadb-fs,nadb-memory,nadb-redis,redis-raw,lmdb,sqlite,rocksdb]
//              [--data DIR] [--repeat N] [--durability buffered|sync] [--redis HOST:PORT]
//              [--json | --table] [--scale N1,N2,...] [--large] [--scenarios] [--cluster]
//
// --scale (with --generate; --large adds N = 10M) runs the whole comparison at each N and ends with
// a table of the cost per operation at each N and the machine's memory latency by working-set
// size ("SCALE {json}" with --json). --scenarios runs NADB's
// other workloads instead (parallel durable writers, readers beside a writer, TTL-heavy).
// --cluster runs the workload over 16 namespaces from 8 threads on throwaway Redis Clusters of
// 1 and 3 masters (cluster_bench.hpp; make bench-cluster).
//
// After each run of nadb-fs and lmdb, a process of its own opens the db the run left and reads
// one key, then 100,000 (cold_open.hpp: open + first get, resident memory per key, and for
// nadb-fs the wall time of one `nadb get`).
//
// Every run is a child process of its own (fresh allocator, its own peak memory); runs are
// interleaved (system after system, then the next repetition) so that machine noise hits
// all systems alike. The redis systems use the server given by --redis, or else a throwaway
// redis-server on a free loopback port; `all` includes them when redis-server is installed.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "cluster_bench.hpp"
#include "cold_open.hpp"
#include "memory_latency.hpp"
#include "report.hpp"
#include "scenarios.hpp"
#include "support/redis_server.hpp"  // nadb_support: a throwaway redis-server
#include "system.hpp"

namespace {

using nadb::bench::RunConfig;
using nadb::bench::RunOutput;
using nadb::bench::SystemRunner;
using nadb::bench::Workload;
using Json = nlohmann::json;
namespace fs = std::filesystem;

struct Args {
  std::string workload;
  bool generate = false;
  nadb::bench::WorkloadShape shape;
  bool gets_given = false, deletes_given = false;
  std::vector<std::string> systems{"nadb-fs"};
  std::string data = "./bench-data";
  int repeat = 1;
  bool sync_writes = false;
  bool json_only = false;
  bool table_only = false;
  std::vector<std::uint32_t> scale;  // N values of a scale run
  bool scenarios = false;
  bool cluster = false;
  std::string redis;  // host:port; empty: a throwaway redis-server when a redis system runs
};

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::uint32_t count_of(const std::string& flag, const std::string& text) {
  long long v = std::stoll(text);
  if (v < 0 || v > 100'000'000) throw std::runtime_error(flag + " must be 0-100000000");
  return static_cast<std::uint32_t>(v);
}

Args parse_args(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(flag + " needs a value");
      return argv[++i];
    };
    if (flag == "--workload") {
      args.workload = value();
    } else if (flag == "--generate") {
      args.generate = true;
    } else if (flag == "--n") {
      args.shape.n = count_of(flag, value());
    } else if (flag == "--value-size") {
      args.shape.value_size = count_of(flag, value());
    } else if (flag == "--text-values") {
      args.shape.text_values = true;
    } else if (flag == "--gets") {
      args.shape.gets = count_of(flag, value());
      args.gets_given = true;
    } else if (flag == "--queries") {
      args.shape.queries = count_of(flag, value());
    } else if (flag == "--deletes") {
      args.shape.deletes = count_of(flag, value());
      args.deletes_given = true;
    } else if (flag == "--systems") {
      args.systems = split(value());
    } else if (flag == "--data") {
      args.data = value();
    } else if (flag == "--repeat") {
      args.repeat = std::stoi(value());
    } else if (flag == "--durability") {
      args.sync_writes = value() == "sync";
    } else if (flag == "--redis") {
      args.redis = value();
    } else if (flag == "--json") {
      args.json_only = true;
    } else if (flag == "--table") {
      args.table_only = true;
    } else if (flag == "--large") {
      args.scale.push_back(10'000'000);
    } else if (flag == "--scenarios") {
      args.scenarios = true;
    } else if (flag == "--cluster") {
      args.cluster = true;
    } else if (flag == "--scale") {
      for (const auto& n : split(value()))
        args.scale.push_back(count_of(flag, n));
    } else {
      throw std::runtime_error("unknown argument " + flag);
    }
  }
  if (args.workload.empty() == !args.generate)
    throw std::runtime_error("give either --workload FILE or --generate");
  if (args.shape.n == 0 || args.shape.value_size == 0)
    throw std::runtime_error("--n and --value-size must be positive");
  if (!args.scale.empty() && !args.generate) throw std::runtime_error("--scale needs --generate");
  if (args.json_only && args.table_only) throw std::runtime_error("--json or --table, not both");
  if (args.repeat < 1) throw std::runtime_error("--repeat must be at least 1");
  return args;
}

// The shape for n keys: gets and deletes follow n unless given.
nadb::bench::WorkloadShape shape_for(const Args& args, std::uint32_t n) {
  nadb::bench::WorkloadShape shape = args.shape;
  shape.n = n;
  if (!args.gets_given) shape.gets = n;
  if (!args.deletes_given) shape.deletes = n / 10;
  return shape;
}

std::map<std::string, SystemRunner> runners() {
  std::map<std::string, SystemRunner> r;
  for (const char* backend : {"fs", "memory", "redis"}) {
    r[std::string("nadb-") + backend] = [backend](const Workload& w, const RunConfig& c) {
      return nadb::bench::run_nadb(w, c, backend);
    };
  }
  r["redis-raw"] = nadb::bench::run_redis_raw;
  for (bool one_key : {false, true}) {
    r[one_key ? "redis-layout-1key" : "redis-layout"] = [one_key](const Workload& w,
                                                                  const RunConfig& c) {
      return nadb::bench::run_redis_layout(w, c, one_key);
    };
  }
#ifdef NADB_BENCH_LMDB
  r["lmdb"] = nadb::bench::run_lmdb;
#endif
#ifdef NADB_BENCH_SQLITE
  r["sqlite"] = nadb::bench::run_sqlite;
#endif
#ifdef NADB_BENCH_ROCKSDB
  r["rocksdb"] = nadb::bench::run_rocksdb;
#endif
  return r;
}

bool is_redis_system(const std::string& s) {
  return s == "nadb-redis" || s.rfind("redis-", 0) == 0;
}

// `all`: NADB's embedded backends first, then every peer built, then redis when installed;
// each peer left out is named on stderr, with how to get it.
std::vector<std::string> resolve_systems(const Args& args) {
  auto known = runners();
  if (args.systems != std::vector<std::string>{"all"}) {
    for (const auto& s : args.systems) {
      if (!known.count(s)) throw std::runtime_error("unknown or not built system " + s);
    }
    return args.systems;
  }
  std::vector<std::string> all{"nadb-fs", "nadb-memory"};
  for (const char* peer : {"lmdb", "sqlite", "rocksdb"}) {
    if (known.count(peer)) {
      all.push_back(peer);
    } else {
      std::cerr << "nadb-bench: " << peer << " is left out: it was not built (its -dev package "
                << "is missing: scripts/bootstrap.sh --bench installs it, then make compare)\n";
    }
  }
  if (!args.redis.empty() || std::system("command -v redis-server >/dev/null 2>&1") == 0) {
    all.push_back("nadb-redis");
    all.push_back("redis-raw");
  } else {
    std::cerr << "nadb-bench: nadb-redis and redis-raw are left out: redis-server is not "
              << "installed and --redis was not given\n";
  }
  return all;
}

std::uint64_t disk_bytes(const std::string& dir) {
  std::uint64_t total = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) total += entry.file_size();
  }
  return total;
}

// Runs one system in a child process; returns its RESULT document or throws.
Json run_in_child(const SystemRunner& runner, const Workload& w, const RunConfig& config) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
  std::cout.flush();
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::close(pipe_fds[0]);
    Json child;
    int code = 0;
    try {
      long base_kb = nadb::bench::rss_kb();
      RunOutput out = runner(w, config);
      child = {
          {"phases", out.phases},
          {"checks", out.checks},
          {"extra", out.extra},
          {"rss_kb", nadb::bench::rss_kb()},
          {"memory_kb",
           (out.standard_peak_kb ? out.standard_peak_kb : nadb::bench::rss_peak_kb()) - base_kb}};
    } catch (const std::exception& e) {
      child = {{"error", e.what()}};
      code = 1;
    }
    std::string text = child.dump();
    for (std::size_t done = 0; done < text.size();) {
      ssize_t n = ::write(pipe_fds[1], text.data() + done, text.size() - done);
      if (n <= 0) ::_exit(3);
      done += static_cast<std::size_t>(n);
    }
    ::_exit(code);
  }
  ::close(pipe_fds[1]);
  std::string text;
  char buffer[65536];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;)
    text.append(buffer, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  Json child = text.empty()
                   ? Json{{"error", "the run died (status " + std::to_string(status) + ")"}}
                   : Json::parse(text);
  if (child.contains("error")) throw std::runtime_error(child["error"].get<std::string>());
  return child;
}

// Runs every system args.repeat times on w, prints each RESULT, and returns the SUMMARY;
// failures counts failed runs and wrong checks.
Json compare(const Args& args, const Workload& w, const Json& expected,
             const std::vector<std::string>& systems, const nadb::bench::RedisTarget& redis,
             int& failures) {
  auto known = runners();
  std::vector<Json> results;
  for (int rep = 0; rep < args.repeat; ++rep) {
    for (const auto& system : systems) {
      RunConfig config{(fs::path(args.data) / system).string(), args.sync_writes, redis};
      fs::remove_all(config.data_dir);
      fs::create_directories(config.data_dir);
      Json result;
      try {
        result = run_in_child(known.at(system), w, config);
      } catch (const std::exception& e) {
        std::cerr << "nadb-bench: " << system << " failed: " << e.what() << "\n";
        ++failures;
        continue;
      }
      try {  // before the folder goes: the db as a new process opens it
        result["cold_open"] = nadb::bench::probe_cold_open(system, config.data_dir, w);
      } catch (const std::exception& e) {
        std::cerr << "nadb-bench: " << system << ": " << e.what() << "\n";
        ++failures;
      }
      result["system"] = system;
      result["n"] = w.n;
      result["value_size"] = w.value_size;
      result["repetition"] = rep + 1;
      result["durability"] = args.sync_writes ? "sync" : "buffered";
      result["disk_bytes"] = disk_bytes(config.data_dir);
      if (!args.table_only) std::cout << "RESULT " << result.dump() << std::endl;
      results.push_back(result);
      for (const char* check :
           {"get_found", "get_first_byte_sum", "query_result_sum", "final_count"}) {
        if (result["checks"][check] != expected[check]) {
          std::cerr << "nadb-bench: " << system << " check " << check << " is "
                    << result["checks"][check] << ", expected " << expected[check] << "\n";
          ++failures;
        }
      }
      fs::remove_all(config.data_dir);
    }
  }
  Json summary = nadb::bench::summarize(results, args.repeat);
  if (!args.table_only) std::cout << "SUMMARY " << summary.dump() << "\n";
  if (!args.json_only) std::cout << "\n" << nadb::bench::summary_table(summary, systems);
  std::cout.flush();
  return summary;
}

int run_scenarios(const Args& args) {
  Workload w = args.generate ? nadb::bench::generate_workload(shape_for(args, args.shape.n))
                             : nadb::bench::load_workload(args.workload);
  Json scenarios = nadb::bench::run_scenarios(w, (fs::path(args.data) / "scenarios").string());
  if (!args.table_only) std::cout << "SCENARIOS " << scenarios.dump() << "\n";
  if (!args.json_only) std::cout << "\n" << nadb::bench::scenarios_table(scenarios);
  return 0;
}

int run_cluster(const Args& args) {
  Workload w = args.generate ? nadb::bench::generate_workload(shape_for(args, args.shape.n))
                             : nadb::bench::load_workload(args.workload);
  Json result = nadb::bench::run_cluster_bench(w, args.repeat);
  if (!args.table_only) std::cout << "CLUSTER " << result.dump() << "\n";
  if (!args.json_only) std::cout << "\n" << nadb::bench::cluster_table(result);
  return 0;
}

int run(const Args& args) {
  if (args.scenarios) return run_scenarios(args);
  if (args.cluster) return run_cluster(args);
  std::vector<std::string> systems = resolve_systems(args);
  nadb::bench::RedisTarget redis;
  std::unique_ptr<nadb::testing::RedisServer> server;
  if (!args.redis.empty()) {
    auto colon = args.redis.rfind(':');
    if (colon == std::string::npos) throw std::runtime_error("--redis wants HOST:PORT");
    redis.host = args.redis.substr(0, colon);
    redis.port = std::stoi(args.redis.substr(colon + 1));
  } else if (std::any_of(systems.begin(), systems.end(), is_redis_system)) {
    server = std::make_unique<nadb::testing::RedisServer>();
    redis.port = server->port();
  }
  int failures = 0;
  if (!args.generate) {
    Workload w = nadb::bench::load_workload(args.workload);
    compare(args, w, Json::parse(std::ifstream(args.workload + ".expected.json")), systems, redis,
            failures);
    return failures == 0 ? 0 : 1;
  }
  std::vector<std::uint32_t> sizes = args.scale.empty() ? std::vector{args.shape.n} : args.scale;
  std::vector<Json> summaries;
  for (std::uint32_t n : sizes) {
    Workload w = nadb::bench::generate_workload(shape_for(args, n));
    summaries.push_back(
        compare(args, w, nadb::bench::expected_checks(w), systems, redis, failures));
  }
  if (sizes.size() > 1) {
    Json scale = nadb::bench::scale_summary(summaries);
    scale["memory_latency_ns"] = nadb::bench::memory_latency_curve();
    if (!args.table_only) std::cout << "SCALE " << scale.dump() << "\n";
    if (!args.json_only) {
      std::cout << "\n"
                << nadb::bench::scale_table(scale, systems) << "\n"
                << nadb::bench::memory_latency_table(scale["memory_latency_ns"]);
    }
    std::cout.flush();
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc == 5 && std::string(argv[1]) == "--cold-open")
      return nadb::bench::run_cold_open(argv[2], argv[3], argv[4]);
    return run(parse_args(argc, argv));
  } catch (const std::exception& e) {
    std::cerr << "nadb-bench: " << e.what() << "\n";
    return 2;
  }
}
