#include "cold_open.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <vector>

#include "system.hpp"

extern char** environ;

namespace nadb::bench {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kProbeGets = 100'000;
constexpr int kCliRuns = 5;

std::unique_ptr<ColdReader> open_reader(const std::string& system, const std::string& dir) {
  if (system == "nadb-fs") return open_nadb_fs_reader(dir);
#ifdef NADB_BENCH_LMDB
  if (system == "lmdb") return open_lmdb_reader(dir);
#endif
  return nullptr;
}

// Runs argv (posix_spawn: no copy of this process's page tables, which a large workload would
// add to the time) with its stdout in *out, or /dev/null when out is null; the wait status.
int spawn(const std::vector<std::string>& argv, std::string* out) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("cold open: pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (out != nullptr) {
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  } else {
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  }
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    throw std::runtime_error("cold open: cannot run " + argv[0]);
  }
  char buffer[4096];
  for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;) {
    if (out != nullptr) out->append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

// The keys the probe reads: first a key the run left live, then kProbeGets of the workload's
// gets (some deleted since: a miss costs a lookup too).
std::vector<std::string> probe_keys(const Workload& w) {
  std::vector<bool> deleted(w.n, false);
  for (std::uint32_t i : w.deletes)
    deleted[i] = true;
  auto live =
      std::find_if(w.gets.begin(), w.gets.end(), [&](std::uint32_t i) { return !deleted[i]; });
  if (live == w.gets.end()) throw std::runtime_error("cold open: no live key to read");
  std::vector<std::string> keys{w.key_names[*live]};
  for (std::size_t j = 0; j < kProbeGets && !w.gets.empty(); ++j)
    keys.push_back(w.key_names[w.gets[j % w.gets.size()]]);
  return keys;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Wall time (ms) of `nadb --data DIR --db bench get KEY`, median of kCliRuns; nothing when
// the CLI is not beside nadb-bench (an installed nadb-bench).
std::optional<double> cli_get_ms(const fs::path& self, const std::string& dir,
                                 const std::string& key) {
  fs::path cli = self.parent_path().parent_path() / "tools" / "nadb" / "nadb";
  if (!fs::exists(cli)) return std::nullopt;
  std::vector<double> ms;
  for (int run = 0; run < kCliRuns; ++run) {
    auto start = std::chrono::steady_clock::now();
    int status = spawn({cli.string(), "--data", dir, "--db", "bench", "get", key}, nullptr);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      throw std::runtime_error("cold open: `nadb get " + key + "` failed");
  }
  return median(ms);
}

}  // namespace

nlohmann::json probe_cold_open(const std::string& system, const std::string& dir,
                               const Workload& w) {
  if (system != "nadb-fs" && system != "lmdb") return nlohmann::json::object();
  std::vector<std::string> keys = probe_keys(w);
  fs::path keys_file = fs::path(dir).parent_path() / (system + ".cold-open-keys");
  {
    std::ofstream file(keys_file, std::ios::trunc);
    for (const auto& key : keys)
      file << key << '\n';
    if (!file.flush()) throw std::runtime_error("cold open: cannot write " + keys_file.string());
  }
  fs::path self = fs::read_symlink("/proc/self/exe");
  std::string text;
  int status = spawn({self.string(), "--cold-open", system, dir, keys_file.string()}, &text);
  fs::remove(keys_file);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || text.empty())
    throw std::runtime_error("cold open of " + system + " failed");
  nlohmann::json result = nlohmann::json::parse(text);
  if (system == "nadb-fs") {
    if (auto ms = cli_get_ms(self, dir, keys[0])) result["cli_get_ms"] = *ms;
  }
  return result;
}

int run_cold_open(const std::string& system, const std::string& dir, const std::string& keys_file) {
  std::vector<std::string> keys;
  std::ifstream file(keys_file);
  for (std::string key; std::getline(file, key);)
    keys.push_back(key);
  if (keys.empty()) throw std::runtime_error("cold open: no keys in " + keys_file);
  long anon_before = rss_anon_kb(), rss_before = rss_kb();
  auto start = std::chrono::steady_clock::now();
  std::unique_ptr<ColdReader> reader = open_reader(system, dir);
  if (!reader) throw std::runtime_error("cold open: no reader for " + system);
  if (!reader->get(keys[0])) throw std::runtime_error("cold open: " + keys[0] + " is missing");
  double open_get_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::uint64_t found = 1;
  for (std::size_t i = 1; i < keys.size(); ++i)
    found += reader->get(keys[i]) ? 1 : 0;
  long anon_after = rss_anon_kb(), rss_after = rss_kb();
  std::uint64_t count = reader->count();
  double per_key = 1024.0 / static_cast<double>(std::max<std::uint64_t>(count, 1));
  std::cout << nlohmann::json{{"open_get_ms", open_get_ms},
                              {"anon_bytes_per_key",
                               static_cast<double>(anon_after - anon_before) * per_key},
                              {"rss_bytes_per_key",
                               static_cast<double>(rss_after - rss_before) * per_key},
                              {"keys", count},
                              {"gets", keys.size()},
                              {"found", found}}
                   .dump()
            << std::endl;
  return 0;
}

}  // namespace nadb::bench
