// The workload on NADB (fs or memory backend).
#include <nadb/nadb.hpp>

#include <algorithm>
#include <fstream>
#include <memory>

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
long rss_kb() { return rss_field_kb("VmRSS:"); }
long rss_anon_kb() { return rss_field_kb("RssAnon:"); }

namespace {

// Keys having both tags. The foundation has no tag index yet: evaluated over the keys'
// metadata (replaced by query_by_tags when the index lands).
std::size_t count_with_both(KeyValueStore& store, const std::vector<std::string>& keys,
                            const std::string& a, const std::string& b) {
  std::size_t n = 0;
  for (const auto& key : keys) {
    auto meta = store.get_metadata(key);
    if (meta && std::binary_search(meta->tags.begin(), meta->tags.end(), a) &&
        std::binary_search(meta->tags.begin(), meta->tags.end(), b)) {
      ++n;
    }
  }
  return n;
}

}  // namespace

RunOutput run_nadb(const Workload& w, const RunConfig& config, const std::string& backend) {
  Options options;
  options.data_folder = config.data_dir;
  options.db = "bench";
  options.backend = backend;
  options.durability = config.sync_writes ? Durability::Sync : Durability::Buffered;

  std::vector<std::string> keys(w.n), tags(w.ntags);
  for (std::uint32_t i = 0; i < w.n; ++i) keys[i] = Workload::key(i);
  for (std::uint32_t t = 0; t < w.ntags; ++t) tags[t] = Workload::tag(t);

  RunOutput out;
  long anon_before = rss_anon_kb();
  auto store = std::make_unique<KeyValueStore>(options);
  out.phases["a_set"] = phase(w.n, seconds_of([&] {
    for (std::uint32_t i = 0; i < w.n; ++i) store->set(keys[i], w.value(i), {tags[w.tag_a[i]], tags[w.tag_b[i]]});
    store->flush();
  }));
  out.extra["anon_bytes_per_key_after_set"] = static_cast<double>(rss_anon_kb() - anon_before) * 1024.0 / w.n;
  out.extra["keydir_bytes_per_key"] = static_cast<double>(store->get_stats().storage.memory_bytes) / w.n;

  std::uint64_t found = 0, first_byte_sum = 0;
  out.phases["b_get"] = phase(w.gets.size(), seconds_of([&] {
    for (std::uint32_t i : w.gets) {
      auto value = store->get(keys[i]);
      if (!value) continue;
      if (*value != w.value(i)) throw std::runtime_error("wrong value for " + keys[i]);
      ++found;
      first_byte_sum += static_cast<unsigned char>((*value)[0]);
    }
  }));
  out.checks["get_found"] = found;
  out.checks["get_first_byte_sum"] = first_byte_sum;

  std::uint64_t result_sum = 0;
  out.phases["c_query"] = phase(w.queries.size(), seconds_of([&] {
    std::vector<std::string> all = store->get_all_keys();
    for (auto [a, b] : w.queries) result_sum += count_with_both(*store, all, tags[a], tags[b]);
  }));
  out.phases["c_query"]["method"] = "metadata scan (no tag index yet)";
  out.checks["query_result_sum"] = result_sum;

  out.phases["d_delete"] = phase(w.deletes.size(), seconds_of([&] {
    for (std::uint32_t i : w.deletes) store->remove(keys[i]);
    store->flush();
  }));

  std::uint64_t final_count = 0;
  if (backend == "memory") {  // nothing to reopen: count only
    out.phases["e_reopen"] = phase(1, seconds_of([&] { final_count = store->get_stats().key_count; }));
  } else {
    out.phases["e_reopen"] = phase(1, seconds_of([&] {
      store.reset();
      store = std::make_unique<KeyValueStore>(options);
      final_count = store->get_stats().key_count;
    }));
  }
  out.checks["final_count"] = final_count;
  return out;
}

}  // namespace nadb::bench
