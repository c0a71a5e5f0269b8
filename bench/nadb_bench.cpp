// nadb-bench: runs the standard workload (../shared/bench/WORKLOAD.md) against a NADB backend
// and prints one line "RESULT {json}". Exits 1 if any check differs from the expected answers.
//
//   nadb-bench --workload FILE [--backend fs|memory] [--data DIR] [--durability buffered|sync]
#include <sys/resource.h>
#include <nadb/nadb.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "workload.hpp"

namespace {

using nadb::bench::Workload;
using Json = nlohmann::json;

struct Args {
  std::string workload;
  std::string backend = "fs";
  std::string data = "./bench-data";
  nadb::Durability durability = nadb::Durability::Buffered;
};

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
    else if (flag == "--backend")
      args.backend = value();
    else if (flag == "--data")
      args.data = value();
    else if (flag == "--durability") {
      std::string d = value();
      if (d != "buffered" && d != "sync")
        throw std::runtime_error("--durability is buffered or sync");
      args.durability = d == "sync" ? nadb::Durability::Sync : nadb::Durability::Buffered;
    } else {
      throw std::runtime_error("unknown argument " + flag);
    }
  }
  if (args.workload.empty()) throw std::runtime_error("--workload FILE is required");
  return args;
}

double seconds_of(const std::function<void()>& phase) {
  auto start = std::chrono::steady_clock::now();
  phase();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

long rss_kb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

std::uint64_t disk_bytes(const std::string& dir) {
  std::uint64_t total = 0;
  if (!std::filesystem::exists(dir)) return 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) total += entry.file_size();
  }
  return total;
}

// Keys having both tags. The foundation has no tag index yet: evaluated by a scan over the
// keys' metadata (replaced by query_by_tags when the index lands).
std::vector<std::string> keys_with_both(nadb::KeyValueStore& store,
                                        const std::vector<std::string>& keys, const std::string& a,
                                        const std::string& b) {
  std::vector<std::string> out;
  for (const auto& key : keys) {
    auto meta = store.get_metadata(key);
    if (!meta) continue;
    const auto& tags = meta->tags;
    if (std::binary_search(tags.begin(), tags.end(), a) &&
        std::binary_search(tags.begin(), tags.end(), b)) {
      out.push_back(key);
    }
  }
  return out;
}

Json phase(std::size_t ops, double secs) {
  return {{"ops", ops},
          {"secs", secs},
          {"ops_per_sec", secs > 0 ? static_cast<double>(ops) / secs : 0.0},
          {"us_per_op", ops ? secs * 1e6 / static_cast<double>(ops) : 0.0}};
}

int run(const Args& args) {
  Workload w = nadb::bench::load_workload(args.workload);
  std::ifstream expected_file(args.workload + ".expected.json");
  Json expected = Json::parse(expected_file);

  nadb::Options options;
  options.data_folder = args.data;
  options.db = "bench";
  options.backend = args.backend;
  options.durability = args.durability;
  std::filesystem::remove_all(std::filesystem::path(args.data) / options.db);

  std::vector<std::string> keys(w.n);
  std::vector<std::string> tags(w.ntags);
  for (std::uint32_t i = 0; i < w.n; ++i)
    keys[i] = Workload::key(i);
  for (std::uint32_t t = 0; t < w.ntags; ++t)
    tags[t] = Workload::tag(t);

  Json phases, checks;
  long rss_before = rss_kb(), rss_loaded = 0;
  std::uint64_t engine_memory = 0;
  std::size_t final_count = 0;
  {
    auto store = std::make_unique<nadb::KeyValueStore>(options);
    phases["a_set"] =
        phase(w.n, seconds_of([&] {
                for (std::uint32_t i = 0; i < w.n; ++i)
                  store->set(keys[i], w.value(i), {tags[w.tag_a[i]], tags[w.tag_b[i]]});
                store->flush();
              }));
    rss_loaded = rss_kb();
    engine_memory = store->get_stats().storage.memory_bytes;

    std::uint64_t found = 0, first_byte_sum = 0;
    phases["b_get"] = phase(w.gets.size(), seconds_of([&] {
                              for (std::uint32_t i : w.gets) {
                                auto value = store->get(keys[i]);
                                if (!value || *value != w.value(i))
                                  throw std::runtime_error("wrong value for " + keys[i]);
                                ++found;
                                first_byte_sum += static_cast<unsigned char>((*value)[0]);
                              }
                            }));
    checks["get_found"] = found;
    checks["get_first_byte_sum"] = first_byte_sum;

    std::uint64_t result_sum = 0;
    phases["c_query"] = phase(w.queries.size(), seconds_of([&] {
                                std::vector<std::string> all = store->get_all_keys();
                                for (auto [a, b] : w.queries)
                                  result_sum +=
                                      keys_with_both(*store, all, tags[a], tags[b]).size();
                              }));
    phases["c_query"]["method"] = "metadata scan (no tag index yet)";
    checks["query_result_sum"] = result_sum;

    phases["d_delete"] = phase(w.deletes.size(), seconds_of([&] {
                                 for (std::uint32_t i : w.deletes)
                                   store->remove(keys[i]);
                                 store->flush();
                               }));
    if (args.backend != "memory") {
      phases["e_reopen"] = phase(1, seconds_of([&] {
                                   store.reset();
                                   store = std::make_unique<nadb::KeyValueStore>(options);
                                   final_count = store->get_stats().key_count;
                                 }));
    } else {
      phases["e_reopen"] =
          phase(1, seconds_of([&] { final_count = store->get_stats().key_count; }));
      phases["e_reopen"]["note"] = "memory backend: not persistent, only the count";
    }
    checks["final_count"] = final_count;
  }

  Json result = {
      {"system", "nadb-" + args.backend},
      {"n", w.n},
      {"durability", args.durability == nadb::Durability::Sync ? "sync" : "buffered"},
      {"phases", phases},
      {"checks", checks},
      {"rss_kb", rss_kb()},
      {"rss_load_delta_bytes_per_key", static_cast<double>(rss_loaded - rss_before) * 1024.0 / w.n},
      {"keydir_bytes_per_key", static_cast<double>(engine_memory) / w.n},
      {"disk_bytes", disk_bytes((std::filesystem::path(args.data) / options.db).string())},
  };
  std::cout << "RESULT " << result.dump() << std::endl;

  int failures = 0;
  for (const char* check : {"get_found", "get_first_byte_sum", "query_result_sum", "final_count"}) {
    if (checks[check] != expected[check]) {
      std::cerr << "nadb-bench: check " << check << " is " << checks[check] << ", expected "
                << expected[check] << "\n";
      ++failures;
    }
  }
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
