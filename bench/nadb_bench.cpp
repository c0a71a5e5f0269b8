// nadb-bench: runs the standard workload (../shared/bench/WORKLOAD.md) and prints one line
// "RESULT {json}" per system and repetition, then "SUMMARY {json}" with the median of each
// phase and its ratio to nadb-fs (and to redis-raw). Exits 1 if any check differs from the
// expected answers.
//
//   nadb-bench --workload FILE [--systems nadb-fs,nadb-memory,nadb-redis,redis-raw,lmdb,sqlite]
//              [--data DIR] [--repeat N] [--durability buffered|sync] [--redis HOST:PORT]
//
// The redis systems use the server given by --redis, or else start a throwaway redis-server
// on a free loopback port for the run.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "support/redis_server.hpp"  // the tests' throwaway redis-server
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
  std::vector<std::string> systems{"nadb-fs"};
  std::string data = "./bench-data";
  int repeat = 1;
  bool sync_writes = false;
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

Args parse_args(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(flag + " needs a value");
      return argv[++i];
    };
    if (flag == "--workload")
      args.workload = value();
    else if (flag == "--systems")
      args.systems = split(value());
    else if (flag == "--data")
      args.data = value();
    else if (flag == "--repeat")
      args.repeat = std::stoi(value());
    else if (flag == "--durability")
      args.sync_writes = value() == "sync";
    else if (flag == "--redis")
      args.redis = value();
    else
      throw std::runtime_error("unknown argument " + flag);
  }
  if (args.workload.empty()) throw std::runtime_error("--workload FILE is required");
  if (args.repeat < 1) throw std::runtime_error("--repeat must be at least 1");
  return args;
}

std::map<std::string, SystemRunner> runners() {
  std::map<std::string, SystemRunner> r;
  r["nadb-fs"] = [](const Workload& w, const RunConfig& c) {
    return nadb::bench::run_nadb(w, c, "fs");
  };
  r["nadb-memory"] = [](const Workload& w, const RunConfig& c) {
    return nadb::bench::run_nadb(w, c, "memory");
  };
  r["nadb-redis"] = [](const Workload& w, const RunConfig& c) {
    return nadb::bench::run_nadb(w, c, "redis");
  };
  r["redis-raw"] = nadb::bench::run_redis_raw;
#ifdef NADB_BENCH_LMDB
  r["lmdb"] = nadb::bench::run_lmdb;
#endif
#ifdef NADB_BENCH_SQLITE
  r["sqlite"] = nadb::bench::run_sqlite;
#endif
  return r;
}

std::uint64_t disk_bytes(const std::string& dir) {
  std::uint64_t total = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) total += entry.file_size();
  }
  return total;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

int run(const Args& args) {
  Workload w = nadb::bench::load_workload(args.workload);
  Json expected = Json::parse(std::ifstream(args.workload + ".expected.json"));
  auto known = runners();
  for (const auto& s : args.systems) {
    if (!known.count(s)) throw std::runtime_error("unknown or not built system " + s);
  }
  nadb::bench::RedisTarget redis;
  std::unique_ptr<nadb::testing::RedisServer> server;
  if (!args.redis.empty()) {
    auto colon = args.redis.rfind(':');
    if (colon == std::string::npos) throw std::runtime_error("--redis wants HOST:PORT");
    redis.host = args.redis.substr(0, colon);
    redis.port = std::stoi(args.redis.substr(colon + 1));
  } else if (std::count(args.systems.begin(), args.systems.end(), "nadb-redis") +
                 std::count(args.systems.begin(), args.systems.end(), "redis-raw") >
             0) {
    server = std::make_unique<nadb::testing::RedisServer>();
    redis.port = server->port();
  }
  std::map<std::string, std::map<std::string, std::vector<double>>> secs;  // system -> phase
  std::map<std::string, std::vector<double>> disk;
  int failures = 0;
  for (int rep = 0; rep < args.repeat; ++rep) {
    for (const auto& system : args.systems) {  // interleaved: machine noise hits all alike
      RunConfig config{(fs::path(args.data) / system).string(), args.sync_writes, redis};
      fs::remove_all(config.data_dir);
      fs::create_directories(config.data_dir);
      RunOutput out = known.at(system)(w, config);
      Json result = {{"system", system},
                     {"n", w.n},
                     {"repetition", rep + 1},
                     {"durability", args.sync_writes ? "sync" : "buffered"},
                     {"phases", out.phases},
                     {"checks", out.checks},
                     {"extra", out.extra},
                     {"rss_kb", nadb::bench::rss_kb()},
                     {"disk_bytes", disk_bytes(config.data_dir)}};
      std::cout << "RESULT " << result.dump() << std::endl;
      for (const auto& [phase, data] : out.phases.items())
        secs[system][phase].push_back(data["secs"]);
      disk[system].push_back(static_cast<double>(result["disk_bytes"].get<std::uint64_t>()));
      for (const char* check :
           {"get_found", "get_first_byte_sum", "query_result_sum", "final_count"}) {
        if (out.checks[check] != expected[check]) {
          std::cerr << "nadb-bench: " << system << " check " << check << " is " << out.checks[check]
                    << ", expected " << expected[check] << "\n";
          ++failures;
        }
      }
      fs::remove_all(config.data_dir);
    }
  }
  Json summary = {{"n", w.n},
                  {"repetitions", args.repeat},
                  {"median_secs", Json::object()},
                  {"ratio_to_nadb_fs", Json::object()},
                  {"median_disk_bytes", Json::object()}};
  for (const auto& [system, phases] : secs) {
    for (const auto& [phase, values] : phases) {
      summary["median_secs"][system][phase] = median(values);
      for (const char* base : {"nadb-fs", "redis-raw"}) {
        if (secs.count(base) && secs[base].count(phase)) {
          summary[std::string("ratio_to_") + (base[0] == 'n' ? "nadb_fs" : "redis_raw")][system]
                 [phase] = median(values) / median(secs[base][phase]);
        }
      }
    }
    summary["median_disk_bytes"][system] = median(disk[system]);
  }
  std::cout << "SUMMARY " << summary.dump() << std::endl;
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse_args(argc, argv));
  } catch (const std::exception& e) {
    std::cerr << "nadb-bench: " << e.what() << "\n";
    return 2;
  }
}
