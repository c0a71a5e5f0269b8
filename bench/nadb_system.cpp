// The workload on NADB (fs, memory or redis backend).
#include <nadb/nadb.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "cold_open.hpp"
#include "system.hpp"

namespace nadb::bench {

long rss_field_kb(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  std::size_t n = std::char_traits<char>::length(field);
  while (std::getline(status, line)) {
    if (line.compare(0, n, field) == 0) return std::stol(line.substr(n));
  }
  return 0;
}
long rss_kb() {
  return rss_field_kb("VmRSS:");
}
long rss_anon_kb() {
  return rss_field_kb("RssAnon:");
}
long rss_peak_kb() {
  return rss_field_kb("VmHWM:");
}

namespace {

// The AND queries of the workload: the sum of result sizes and each query's latency.
std::uint64_t run_queries(KeyValueStore& store, const Workload& w,
                          const std::vector<std::string>& tags, std::vector<double>& latencies_ms) {
  std::uint64_t sum = 0;
  for (auto [a, b] : w.queries) {
    auto start = std::chrono::steady_clock::now();
    sum += store.query_by_tags({tags[a], tags[b]}).size();
    latencies_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
  }
  return sum;
}

// 10-set transactions against 10 single sets, in a db of its own (removed afterwards, so the
// workload's disk figure is unaffected). Values of at most 1 KiB: larger ones would measure
// copying (and 20,000 of them are 80 GB at 4 MiB).
nlohmann::json transaction_phase(Options options, std::size_t value_size) {
  constexpr int kTransactions = 2000, kOps = 10;
  options.db = "bench-transactions";
  std::string value(std::min<std::size_t>(value_size, 1024), 't');
  double singles = 0, transactions = 0;
  {
    KeyValueStore store(options);
    singles = seconds_of([&] {
      for (int i = 0; i < kTransactions * kOps; ++i)
        store.set("single:" + std::to_string(i), value, {"tx"});
    });
    transactions = seconds_of([&] {
      for (int t = 0; t < kTransactions; ++t) {
        Transaction tx = store.transaction();
        for (int i = 0; i < kOps; ++i)
          tx.set("tx:" + std::to_string(t * kOps + i), value, {"tx"});
        tx.commit();
      }
    });
  }
  std::filesystem::remove_all(std::filesystem::path(options.data_folder) / options.db);
  if (options.backend == "redis") KeyValueStore(options).flushdb();
  return {{"transactions", kTransactions},
          {"ops_per_transaction", kOps},
          {"us_per_transaction", transactions * 1e6 / kTransactions},
          {"us_per_10_single_sets", singles * 1e6 / kTransactions},
          {"ratio", transactions / singles}};
}

// Export of the whole namespace to JSONL and import into a fresh db (removed afterwards).
nlohmann::json export_import_phase(KeyValueStore& store, Options options) {
  std::string file = options.data_folder + "/export.jsonl";
  ExportReport exported = store.export_jsonl(file);
  options.db = "bench-import";
  ImportReport imported;
  {
    KeyValueStore target(options);
    imported = target.import_jsonl(file);
    target.flush();
    if (options.backend == "redis") target.flushdb();
  }
  std::uint64_t file_bytes = std::filesystem::file_size(file);
  std::filesystem::remove(file);
  std::filesystem::remove_all(std::filesystem::path(options.data_folder) / options.db);
  if (imported.imported != exported.keys) throw std::runtime_error("import lost keys");
  return {{"keys", exported.keys},
          {"export_keys_per_sec", exported.keys / (exported.duration_ms / 1000)},
          {"import_keys_per_sec", imported.imported / (imported.duration_ms / 1000)},
          {"file_bytes", file_bytes}};
}

constexpr std::uint32_t kBatch = 1000;

void batched_sets(KeyValueStore& store, const Workload& w) {
  std::vector<BatchItem> items;
  for (std::uint32_t i = 0; i < w.n; ++i) {
    items.push_back({w.key_names[i],
                     std::string(w.value(i)),
                     {w.tag_names[w.tag_a[i]], w.tag_names[w.tag_b[i]]},
                     std::nullopt});
    if (items.size() == kBatch || i + 1 == w.n) {
      store.batch_set(items);
      items.clear();
    }
  }
}

void batched_removes(KeyValueStore& store, const Workload& w) {
  std::vector<std::string> keys;
  for (std::size_t j = 0; j < w.deletes.size(); ++j) {
    keys.push_back(w.key_names[w.deletes[j]]);
    if (keys.size() == kBatch || j + 1 == w.deletes.size()) {
      store.batch_remove(keys);
      keys.clear();
    }
  }
}

// Single-key operations, one round trip each, in a namespace of their own.
nlohmann::json single_op_phase(Options options, const Workload& w) {
  const std::uint32_t ops = std::min<std::uint32_t>(10000, w.n);
  options.ns = "bench-single";
  KeyValueStore store(options);
  double sets = seconds_of([&] {
    for (std::uint32_t i = 0; i < ops; ++i)
      store.set(w.key_names[i], w.value(i), {w.tag_names[w.tag_a[i]], w.tag_names[w.tag_b[i]]});
  });
  double removes = seconds_of([&] {
    for (std::uint32_t i = 0; i < ops; ++i)
      store.remove(w.key_names[i]);
  });
  store.flushdb();
  return {{"set_us", sets * 1e6 / ops}, {"remove_us", removes * 1e6 / ops}};
}

// Waits until the background maintenance has written the hint file of every sealed segment:
// cp must not copy a folder while a hint is being written (its temporary file vanishes under
// cp, which then fails).
void wait_for_hint_files(KeyValueStore& store) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    BackendStats storage = store.get_stats().storage;
    if (storage.hint_files + 1 >= storage.segments) return;
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("hint files were not written within 60 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// Full backups (with and without compression) against cp of the db folder, then an
// incremental backup after 1% of the keys changed. The backups are removed afterwards.
nlohmann::json backup_phase(Options options, const Workload& w) {
  options.db = "bench-backup";  // a db of its own, removed afterwards
  KeyValueStore store(options);
  for (std::uint32_t i = 0; i < w.n; ++i) {
    store.set(w.key_names[i], w.value(i), {w.tag_names[w.tag_a[i]], w.tag_names[w.tag_b[i]]});
  }
  std::string db = options.data_folder + "/" + options.db;
  std::string copy = options.data_folder + "/cp-copy";
  store.flush();
  wait_for_hint_files(store);
  double cp = seconds_of([&] {
    if (std::system(("cp -r '" + db + "' '" + copy + "'").c_str()) != 0)
      throw std::runtime_error("cp failed");
  });
  std::filesystem::remove_all(copy);
  double cp_sync = seconds_of([&] {  // cp that also makes its copy durable, as a backup must
    std::string command = "cp -r '" + db + "' '" + copy + "' && sync -f '" + copy + "'";
    if (std::system(command.c_str()) != 0) throw std::runtime_error("cp failed");
  });
  std::filesystem::remove_all(copy);
  BackupInfo raw, packed, incremental;
  double full = seconds_of([&] { raw = store.create_backup("full-raw", false); });
  double full_zstd = seconds_of([&] { packed = store.create_backup("full-zstd", true); });
  for (std::uint32_t i = 0; i < w.n / 100; ++i)
    store.set(w.key_names[i * 97 % w.n], "changed", {"changed"});
  double inc =
      seconds_of([&] { incremental = store.create_incremental_backup("full-zstd", "inc", true); });
  std::filesystem::remove_all(options.data_folder + "/backups");
  store.close();
  std::filesystem::remove_all(db);
  return {{"cp_secs", cp},
          {"cp_sync_secs", cp_sync},
          {"full_vs_cp_sync", full / cp_sync},
          {"full_secs", full},
          {"full_bytes", raw.stored_bytes},
          {"full_vs_cp", full / cp},
          {"full_zstd_secs", full_zstd},
          {"full_zstd_bytes", packed.stored_bytes},
          {"incremental_secs", inc},
          {"incremental_bytes", incremental.stored_bytes},
          {"incremental_time_vs_full", inc / full_zstd},
          {"incremental_size_vs_full",
           static_cast<double>(incremental.stored_bytes) / packed.stored_bytes}};
}

class NadbReader : public ColdReader {
 public:
  explicit NadbReader(const std::string& dir) : store_(options_for(dir)) {}
  bool get(const std::string& key) override { return store_.get(key).has_value(); }
  std::uint64_t count() override { return store_.count(); }

 private:
  static Options options_for(const std::string& dir) {
    Options options;  // as a program opens it: writable, the defaults
    options.data_folder = dir;
    options.db = "bench";
    options.backend = "fs";
    return options;
  }
  KeyValueStore store_;
};

}  // namespace

std::unique_ptr<ColdReader> open_nadb_fs_reader(const std::string& dir) {
  return std::make_unique<NadbReader>(dir);
}

RunOutput run_nadb(const Workload& w, const RunConfig& config, const std::string& backend) {
  Options options;
  options.data_folder = config.data_dir;
  options.db = "bench";
  options.backend = backend;
  options.durability = config.sync_writes ? Durability::Sync : Durability::Buffered;
  // Redis is a round trip away: writes go in batches, as the Redis reference pipelines them.
  const bool remote = backend == "redis";
  options.redis.host = config.redis.host;
  options.redis.port = config.redis.port;
  options.redis.key_prefix = "nadb-bench";

  const std::vector<std::string>& keys = w.key_names;
  const std::vector<std::string>& tags = w.tag_names;

  RunOutput out;
  long anon_before = rss_anon_kb();
  auto store = std::make_unique<KeyValueStore>(options);
  if (remote) store->flushdb();  // what an earlier, interrupted run left
  out.phases["a_set"] =
      phase(w.n, seconds_of([&] {
              if (remote) {
                batched_sets(*store, w);
              } else {
                for (std::uint32_t i = 0; i < w.n; ++i)
                  store->set(keys[i], w.value(i), {tags[w.tag_a[i]], tags[w.tag_b[i]]});
              }
              store->flush();
            }));
  out.extra["anon_bytes_per_key_after_set"] =
      static_cast<double>(rss_anon_kb() - anon_before) * 1024.0 / w.n;
  out.extra["keydir_bytes_per_key"] =
      static_cast<double>(store->get_stats().storage.memory_bytes) / w.n;

  std::uint64_t found = 0, first_byte_sum = 0;
  out.phases["b_get"] = phase(w.gets.size(), seconds_of([&] {
                                for (std::uint32_t i : w.gets) {
                                  auto value = store->get(keys[i]);
                                  if (!value) continue;
                                  if (*value != w.value(i))
                                    throw std::runtime_error("wrong value for " + keys[i]);
                                  ++found;
                                  first_byte_sum += static_cast<unsigned char>((*value)[0]);
                                }
                              }));
  out.checks["get_found"] = found;
  out.checks["get_first_byte_sum"] = first_byte_sum;

  std::uint64_t result_sum = 0;
  std::vector<double> latencies;
  out.phases["c_query"] = phase(
      w.queries.size(), seconds_of([&] { result_sum = run_queries(*store, w, tags, latencies); }));
  out.phases["c_query"]["latency"] = percentiles(latencies);
  out.checks["query_result_sum"] = result_sum;
  {  // the same queries with the query cache off: every one evaluated on the bitmaps
    Options uncached = options;
    uncached.cache_size = 0;
    KeyValueStore plain(uncached);
    std::vector<double> plain_latencies;
    std::uint64_t plain_sum = 0;
    out.extra["c_query_uncached"] =
        phase(w.queries.size(),
              seconds_of([&] { plain_sum = run_queries(plain, w, tags, plain_latencies); }));
    out.extra["c_query_uncached"]["latency"] = percentiles(plain_latencies);
    if (plain_sum != result_sum)
      throw std::runtime_error("uncached queries disagree with cached ones");
  }
  Stats stats = store->get_stats();
  out.extra["index_bytes_per_key_tag_pair"] =
      static_cast<double>(stats.index.memory_bytes) / (2.0 * w.n);
  out.extra["query_cache_hits"] = stats.index.cache_hits;

  out.phases["d_delete"] = phase(w.deletes.size(), seconds_of([&] {
                                   if (remote) {
                                     batched_removes(*store, w);
                                   } else {
                                     for (std::uint32_t i : w.deletes)
                                       store->remove(keys[i]);
                                   }
                                   store->flush();
                                 }));

  std::uint64_t final_count = 0;
  if (backend == "memory") {  // nothing to reopen: count only
    out.phases["e_reopen"] = phase(1, seconds_of([&] { final_count = store->count(); }));
  } else {
    out.phases["e_reopen"] = phase(1, seconds_of([&] {
                                     store.reset();
                                     store = std::make_unique<KeyValueStore>(options);
                                     final_count = store->count();
                                   }));
  }
  out.checks["final_count"] = final_count;
  out.standard_peak_kb = rss_peak_kb();

  // NADB's extra phases, after the standard ones so that these stay as WORKLOAD.md has them.
  if (remote) out.extra["single_ops"] = single_op_phase(options, w);
  out.extra["f_transaction"] = transaction_phase(options, w.value_size);
  out.extra["g_export_import"] = export_import_phase(*store, options);
  if (backend == "fs") out.extra["h_backup"] = backup_phase(options, w);
  if (remote) store->flushdb();
  return out;
}

}  // namespace nadb::bench
