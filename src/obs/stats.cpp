// Stats export: JSON (nlohmann-json) and Prometheus text exposition.
#include "nadb/stats.hpp"

#include <charconv>
#include <nlohmann/json.hpp>
#include <sstream>

namespace nadb {
namespace {

nlohmann::json op_json(const OperationStats& op) {
  return {{"count", op.count},   {"errors", op.errors}, {"avg_ms", op.avg_ms},
          {"min_ms", op.min_ms}, {"p50_ms", op.p50_ms}, {"p95_ms", op.p95_ms},
          {"p99_ms", op.p99_ms}, {"max_ms", op.max_ms}};
}

// Label values escape backslash, quote and newline (Prometheus text format).
std::string label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

// A double as Prometheus reads it back exactly: the shortest text that round-trips (as exact
// as %.17g, without its noise: 41.7, not 41.700000000000003), never the stream's default six
// digits, which printed 419445877 as 4.19446e+08. Counters and gauges are integers.
std::string exact(double value) {
  char text[32];
  auto end = std::to_chars(text, text + sizeof text, value).ptr;
  return std::string(text, end);
}

}  // namespace

std::string Stats::to_json() const {
  nlohmann::json ops = nlohmann::json::object();
  for (const auto& [op_name, op] : operations)
    ops[op_name] = op_json(op);
  nlohmann::json component_ops = nlohmann::json::object();
  for (const auto& [op_name, op] : components)
    component_ops[op_name] = op_json(op);
  nlohmann::json j = {
      {"name", name},
      {"backend", backend},
      {"key_count", key_count},
      {"bytes_written_raw", bytes_written_raw},
      {"bytes_written_stored", bytes_written_stored},
      {"bytes_read", bytes_read},
      {"compression_ratio", compression_ratio},
      {"operations", ops},
      {"components", component_ops},
      {"index",
       {{"enabled", index.enabled},
        {"tags", index.tags},
        {"memory_bytes", index.memory_bytes},
        {"cache_entries", index.cache_entries},
        {"cache_capacity", index.cache_capacity},
        {"cache_hits", index.cache_hits},
        {"cache_misses", index.cache_misses},
        {"cache_evictions", index.cache_evictions},
        {"popular_tags", index.popular_tags}}},
      {"transactions",
       {{"active", transactions.active},
        {"oldest_active_age_ms", transactions.oldest_active_age_ms},
        {"commits", transactions.commits},
        {"rollbacks", transactions.rollbacks},
        {"conflicts", transactions.conflicts},
        {"timeouts", transactions.timeouts}}},
      {"storage",
       {{"backend", storage.backend},
        {"segments", storage.segments},
        {"disk_bytes", storage.disk_bytes},
        {"live_bytes", storage.live_bytes},
        {"dead_bytes", storage.dead_bytes},
        {"buffered_bytes", storage.buffered_bytes},
        {"flushes", storage.flushes},
        {"fsyncs", storage.fsyncs},
        {"compactions", storage.compactions},
        {"hint_files", storage.hint_files},
        {"memory_bytes", storage.memory_bytes},
        {"keydir_private_bytes", storage.keydir_private_bytes},
        {"pool",
         {{"size", storage.pool.size},
          {"open", storage.pool.open},
          {"in_use", storage.pool.in_use},
          {"idle", storage.pool.idle},
          {"waits", storage.pool.waits},
          {"wait_time_ms", storage.pool.wait_time_ms},
          {"timeouts", storage.pool.timeouts},
          {"created", storage.pool.created},
          {"failed", storage.pool.failed},
          {"reconnects", storage.pool.reconnects},
          {"health_checks", storage.pool.health_checks},
          {"cluster_moved", storage.pool.cluster_moved},
          {"cluster_asked", storage.pool.cluster_asked},
          {"cluster_waits", storage.pool.cluster_waits}}}}},
  };
  return j.dump();
}

std::string Stats::to_prometheus() const {
  auto colon = name.find(':');
  std::string labels = "db=\"" + label(name.substr(0, colon)) + "\",ns=\"" +
                       label(colon == std::string::npos ? "" : name.substr(colon + 1)) + "\"";
  std::ostringstream out;
  auto gauge = [&](const char* metric, const char* help, const char* type, std::uint64_t value) {
    out << "# HELP " << metric << ' ' << help << "\n# TYPE " << metric << ' ' << type << '\n'
        << metric << '{' << labels << "} " << value << '\n';
  };
  gauge("nadb_keys", "Live keys in the namespace.", "gauge", key_count);
  gauge("nadb_bytes_written_raw_total", "Value bytes given to writes.", "counter",
        bytes_written_raw);
  gauge("nadb_bytes_written_stored_total", "Value bytes stored after compression.", "counter",
        bytes_written_stored);
  gauge("nadb_bytes_read_total", "Value bytes returned by reads.", "counter", bytes_read);
  gauge("nadb_disk_bytes", "Bytes of segment files.", "gauge", storage.disk_bytes);
  gauge("nadb_dead_bytes", "Bytes of dead records awaiting compaction.", "gauge",
        storage.dead_bytes);
  gauge("nadb_segments", "Segment files.", "gauge", storage.segments);
  gauge("nadb_fsyncs_total", "fsync calls.", "counter", storage.fsyncs);
  gauge("nadb_compactions_total", "Compactions run.", "counter", storage.compactions);
  gauge("nadb_pool_connections_in_use", "Pooled backend connections in use.", "gauge",
        storage.pool.in_use);
  gauge("nadb_pool_connections_idle", "Pooled backend connections idle.", "gauge",
        storage.pool.idle);
  gauge("nadb_pool_waits_total", "Acquires that waited for a free connection.", "counter",
        storage.pool.waits);
  gauge("nadb_pool_timeouts_total", "Acquires that gave up waiting.", "counter",
        storage.pool.timeouts);
  gauge("nadb_pool_connect_failures_total", "Failed connection attempts.", "counter",
        storage.pool.failed);
  gauge("nadb_pool_reconnects_total", "Connections made to replace broken ones.", "counter",
        storage.pool.reconnects);
  gauge("nadb_cluster_moved_total", "Redis Cluster MOVED redirections followed.", "counter",
        storage.pool.cluster_moved);
  gauge("nadb_cluster_asked_total", "Redis Cluster ASK redirections followed.", "counter",
        storage.pool.cluster_asked);
  gauge("nadb_cluster_waits_total", "Redis Cluster commands that waited to be tried again.",
        "counter", storage.pool.cluster_waits);
  gauge("nadb_transactions_active", "Open transactions.", "gauge", transactions.active);
  gauge("nadb_transaction_conflicts_total", "Serializable commits refused.", "counter",
        transactions.conflicts);
  gauge("nadb_index_memory_bytes", "Bytes of the tag index.", "gauge", index.memory_bytes);
  gauge("nadb_query_cache_hits_total", "Query cache hits.", "counter", index.cache_hits);
  gauge("nadb_query_cache_misses_total", "Query cache misses.", "counter", index.cache_misses);
  // Three families per map of operations: totals, errors, latency summaries.
  auto operation_families = [&](const std::string& prefix, const std::string& what,
                                const std::map<std::string, OperationStats>& ops) {
    out << "# HELP " << prefix << "s_total " << what << " done, by op.\n# TYPE " << prefix
        << "s_total counter\n";
    for (const auto& [op, s] : ops)
      out << prefix << "s_total{" << labels << ",op=\"" << op << "\"} " << s.count << '\n';
    out << "# HELP " << prefix << "_errors_total " << what << " that threw, by op.\n# TYPE "
        << prefix << "_errors_total counter\n";
    for (const auto& [op, s] : ops)
      out << prefix << "_errors_total{" << labels << ",op=\"" << op << "\"} " << s.errors << '\n';
    out << "# HELP " << prefix << "_latency_ms " << what
        << " latency quantiles in milliseconds.\n# TYPE " << prefix << "_latency_ms summary\n";
    for (const auto& [op, s] : ops) {
      std::string op_labels = labels + ",op=\"" + op + "\"";
      std::string base = prefix + "_latency_ms{" + op_labels;
      out << base << ",quantile=\"0.5\"} " << exact(s.p50_ms) << '\n'
          << base << ",quantile=\"0.95\"} " << exact(s.p95_ms) << '\n'
          << base << ",quantile=\"0.99\"} " << exact(s.p99_ms) << '\n'
          << prefix << "_latency_ms_sum{" << op_labels << "} "
          << exact(s.avg_ms * static_cast<double>(s.count)) << '\n'
          << prefix << "_latency_ms_count{" << op_labels << "} " << s.count << '\n';
    }
  };
  operation_families("nadb_operation", "Store operations", operations);
  operation_families("nadb_component_operation", "Component operations (process-wide)", components);
  return out.str();
}

}  // namespace nadb
