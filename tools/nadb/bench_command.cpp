// nadb bench: a short workload (single-key sets with tags, gets, two-tag queries, deletes)
// on a throwaway store of the chosen backend, timed per phase. `bench --compare` runs the
// side-by-side comparison with the peer systems instead: nadb-bench, found beside nadb.
#include <stdlib.h>  // mkdtemp
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "cli.hpp"
#include "progress_bar.hpp"
#include "temp_files.hpp"
#include "util/clock.hpp"

namespace nadb::cli {
namespace {

constexpr std::size_t kTags = 20;
constexpr std::size_t kValueBytes = 100;

std::string key_of(std::size_t i) {
  return "bench:" + std::to_string(i);
}
std::vector<std::string> tags_of(std::size_t i) {
  std::string a = "tag-" + std::to_string(i % kTags);
  std::string b = "tag-" + std::to_string((i / kTags + i) % kTags + kTags);
  return {a, b};
}

// A new, empty folder under the system's temporary folder.
// A store nobody else uses: a new temporary folder (fs), or the namespace nadb-bench:bench
// (redis), emptied before and after; what a flush keeps (its delete tombstones, for
// incremental backups, and the write generation) stays in that one namespace.
class ThrowawayStore {
 public:
  ThrowawayStore(const Globals& g, const std::string& backend) {
    Globals throwaway = g;
    throwaway.backend = backend;
    throwaway.db = "nadb-bench";
    throwaway.ns = "bench";
    if (backend == "fs") {
      folder_ = throwaway.data = make_temp_folder("nadb-bench");
    }
    Options options = options_of(throwaway);
    options.cache_size = 0;  // every query is evaluated
    try {
      store_ = std::make_unique<KeyValueStore>(options);
      store_->flushdb();
    } catch (...) {
      remove_folder();
      throw;
    }
  }
  ~ThrowawayStore() {
    try {
      store_->flushdb();
      store_.reset();
    } catch (...) {  // the benchmark's result stands; the leftovers are named below
      std::fprintf(stderr, "nadb: bench could not empty its store %s\n", folder_.c_str());
    }
    remove_folder();
  }
  KeyValueStore& operator*() { return *store_; }

 private:
  void remove_folder() {
    std::error_code ignored;
    if (!folder_.empty()) std::filesystem::remove_all(folder_, ignored);
  }

  std::string folder_;
  std::unique_ptr<KeyValueStore> store_;
};

struct Phase {
  std::string name;
  std::size_t ops;
  std::function<void(KeyValueStore&, std::size_t)> op;
};

Outcome run_bench(const Globals& g, const std::string& backend, std::size_t n) {
  ThrowawayStore store(g, backend);
  const std::string value(kValueBytes, 'v');
  std::size_t found = 0, matched = 0;
  const std::size_t queries = std::max<std::size_t>(n / 10, 1);
  std::vector<Phase> phases = {
      {"set", n, [&](KeyValueStore& s, std::size_t i) { s.set(key_of(i), value, tags_of(i)); }},
      {"get", n, [&](KeyValueStore& s, std::size_t i) { found += s.get(key_of(i)).has_value(); }},
      {"query", queries,
       [&](KeyValueStore& s, std::size_t i) { matched += s.query_by_tags(tags_of(i)).size(); }},
      {"delete", n, [&](KeyValueStore& s, std::size_t i) { s.remove(key_of(i)); }},
  };
  std::size_t total = 0, done = 0;
  for (const auto& p : phases)
    total += p.ops;
  ProgressBar bar("bench", "ops");
  Outcome out{kOk, {{"backend", backend}, {"n", n}, {"phases", nlohmann::json::array()}}, ""};
  char line[160];
  std::snprintf(line, sizeof line, "%-8s %10s %10s %12s %10s\n", "phase", "ops", "seconds", "ops/s",
                "us/op");
  out.text = "backend " + backend + ", " + std::to_string(n) + " keys of " +
             std::to_string(kValueBytes) + " B with 2 tags each\n" + line;
  for (const auto& p : phases) {
    util::Stopwatch watch;
    for (std::size_t i = 0; i < p.ops; ++i) {
      p.op(*store, i);
      bar.update(++done, total);
    }
    double seconds = watch.elapsed_ms() / 1000;
    double per_second = seconds > 0 ? static_cast<double>(p.ops) / seconds : 0;
    double micros = p.ops ? seconds * 1e6 / static_cast<double>(p.ops) : 0;
    out.document["phases"].push_back({{"name", p.name},
                                      {"ops", p.ops},
                                      {"seconds", seconds},
                                      {"ops_per_second", per_second},
                                      {"us_per_op", micros}});
    std::snprintf(line, sizeof line, "%-8s %10zu %10.3f %12.0f %10.2f\n", p.name.c_str(), p.ops,
                  seconds, per_second, micros);
    out.text += line;
  }
  if (found != n)
    throw Corruption("bench: " + std::to_string(n - found) + " keys were not read back");
  out.document["query_results"] = matched;
  return out;
}

// nadb-bench beside this binary (installed), or in the build tree (bench/ next to tools/nadb/).
std::string find_comparison_tool() {
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe").parent_path();
  for (const auto& candidate : {self / "nadb-bench", self / ".." / ".." / "bench" / "nadb-bench"}) {
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  throw NotFound("nadb-bench is not installed beside " + self.string() +
                 ": build it (make) or install it (cmake --install)");
}

// Runs nadb-bench on a generated workload of n keys, every system, 3 repetitions, in a
// temporary folder; its table (or JSON lines) goes straight to stdout.
Outcome run_comparison(const Globals& g, std::size_t n) {
  std::string tool = find_comparison_tool();
  std::string pattern = make_temp_folder("nadb-compare");
  std::vector<std::string> args = {tool,
                                   "--generate",
                                   "--n",
                                   std::to_string(n),
                                   "--systems",
                                   "all",
                                   "--repeat",
                                   "3",
                                   "--data",
                                   pattern,
                                   g.json ? "--json" : "--table"};
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  if (pid > 0) ::waitpid(pid, &status, 0);
  std::error_code ignored;
  std::filesystem::remove_all(pattern, ignored);
  if (pid < 0 || !WIFEXITED(status)) throw IOError("bench --compare: nadb-bench did not finish");
  int code = WEXITSTATUS(status);
  if (code != 0)
    throw Corruption("bench --compare: nadb-bench failed (exit " + std::to_string(code) + ")");
  Outcome out;
  out.document = nullptr;  // nadb-bench printed its own JSON lines
  return out;
}

}  // namespace

void add_bench_command(CLI::App& app, const Globals& g, StandaloneCommand& selected) {
  auto* bench =
      app.add_subcommand("bench", "time sets, gets, queries and deletes on a throwaway store");
  auto n = std::make_shared<std::size_t>(10000);
  auto backend = std::make_shared<std::string>();
  auto compare = std::make_shared<bool>(false);
  bench->add_option("--n", *n, "keys")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10'000'000}))
      ->capture_default_str();
  bench->add_option("--backend", *backend, "fs, memory or redis (default: --backend)")
      ->check(CLI::IsMember({"fs", "memory", "redis"}));
  bench->add_flag(
      "--compare", *compare,
      "compare with LMDB, SQLite, RocksDB (and Redis) instead: nadb-bench, 3 runs each");
  bench->callback([&g, n, backend, compare, &selected] {
    if (*compare) {
      selected = [&g, n] { return run_comparison(g, *n); };
      return;
    }
    selected = [&g, n, backend] {
      return run_bench(g, backend->empty() ? g.backend : *backend, *n);
    };
  });
}

}  // namespace nadb::cli
