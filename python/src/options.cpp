#include "options.hpp"

#include <functional>
#include <map>
#include <string>

namespace py = pybind11;

namespace nadb::python {
namespace {

template <typename T>
T as(py::handle value, const std::string& name) {
  try {
    return value.cast<T>();
  } catch (const py::cast_error&) {
    throw py::type_error("option " + name + ": unexpected type " +
                         std::string(Py_TYPE(value.ptr())->tp_name));
  }
}

template <typename Enum>
Enum choice(py::handle value, const std::string& name, const std::map<std::string, Enum>& names) {
  auto text = as<std::string>(value, name);
  auto it = names.find(text);
  if (it != names.end()) return it->second;
  std::string known;
  for (const auto& [n, e] : names)
    known += (known.empty() ? "" : ", ") + n;
  throw py::value_error("option " + name + ": unknown value '" + text + "' (one of " + known + ")");
}

std::size_t non_negative(py::handle value, const std::string& name) {
  auto number = as<std::int64_t>(value, name);
  if (number < 0) throw py::value_error("option " + name + " must not be negative");
  return static_cast<std::size_t>(number);
}

std::chrono::milliseconds millis(py::handle value, const std::string& name) {
  return std::chrono::milliseconds(as<std::int64_t>(value, name));
}

using Setter = std::function<void(Options&, py::handle, const std::string&)>;

const std::map<std::string, Setter>& setters() {
  static const std::map<std::string, Setter> table = {
      {"data_folder", [](Options& o, py::handle v,
                         const std::string& n) { o.data_folder = as<std::string>(v, n); }},
      {"db", [](Options& o, py::handle v, const std::string& n) { o.db = as<std::string>(v, n); }},
      {"ns", [](Options& o, py::handle v, const std::string& n) { o.ns = as<std::string>(v, n); }},
      {"backend",
       [](Options& o, py::handle v, const std::string& n) { o.backend = as<std::string>(v, n); }},
      {"buffer_size_mb",
       [](Options& o, py::handle v, const std::string& n) { o.buffer_size_mb = as<double>(v, n); }},
      {"flush_interval_ms",
       [](Options& o, py::handle v, const std::string& n) { o.flush_interval = millis(v, n); }},
      {"durability",
       [](Options& o, py::handle v, const std::string& n) {
         o.durability = choice<Durability>(
             v, n, {{"buffered", Durability::Buffered}, {"sync", Durability::Sync}});
       }},
      {"compression",
       [](Options& o, py::handle v, const std::string& n) {
         o.compression = choice<Compression>(v, n,
                                             {{"zstd", Compression::Zstd},
                                              {"zlib", Compression::Zlib},
                                              {"none", Compression::None}});
       }},
      {"compression_threshold",
       [](Options& o, py::handle v, const std::string& n) {
         o.compression_threshold = non_negative(v, n);
       }},
      {"dictionary_value_limit",
       [](Options& o, py::handle v, const std::string& n) {
         o.dictionary_value_limit = non_negative(v, n);
       }},
      {"dictionary_training_bytes",
       [](Options& o, py::handle v, const std::string& n) {
         o.dictionary_training_bytes = non_negative(v, n);
       }},
      {"enable_transactions", [](Options& o, py::handle v,
                                 const std::string& n) { o.enable_transactions = as<bool>(v, n); }},
      {"enable_backup",
       [](Options& o, py::handle v, const std::string& n) { o.enable_backup = as<bool>(v, n); }},
      {"enable_indexing",
       [](Options& o, py::handle v, const std::string& n) { o.enable_indexing = as<bool>(v, n); }},
      {"cache_size",
       [](Options& o, py::handle v, const std::string& n) { o.cache_size = non_negative(v, n); }},
      {"transaction_timeout_s",
       [](Options& o, py::handle v, const std::string& n) {
         o.transaction_timeout = std::chrono::seconds(as<std::int64_t>(v, n));
       }},
      {"backup_dir", [](Options& o, py::handle v,
                        const std::string& n) { o.backup_dir = as<std::string>(v, n); }},
      {"read_only",
       [](Options& o, py::handle v, const std::string& n) { o.read_only = as<bool>(v, n); }},
      {"max_segment_size_mb",
       [](Options& o, py::handle v, const std::string& n) {
         o.max_segment_size_mb = as<double>(v, n);
       }},
      {"keydir_memory_bytes",
       [](Options& o, py::handle v, const std::string& n) {
         o.keydir_memory_bytes = non_negative(v, n);
       }},
      {"compaction_dead_ratio",
       [](Options& o, py::handle v, const std::string& n) {
         o.compaction_dead_ratio = as<double>(v, n);
       }},
      {"recovery_mode",
       [](Options& o, py::handle v, const std::string& n) {
         o.recovery_mode =
             choice<RecoveryMode>(v, n,
                                  {{"tolerate_torn_tail", RecoveryMode::TolerateTornTail},
                                   {"absolute_consistency", RecoveryMode::AbsoluteConsistency},
                                   {"skip_damaged_records", RecoveryMode::SkipDamagedRecords}});
       }},
      {"sync",
       [](Options& o, py::handle v, const std::string& n) {
         auto& handle = as<SyncHandle&>(v, n);
         handle.fork_guard.check();
         o.sync = handle.sync;
       }},
      {"redis_url",
       [](Options& o, py::handle v, const std::string& n) { o.redis.url = as<std::string>(v, n); }},
      {"redis_host", [](Options& o, py::handle v,
                        const std::string& n) { o.redis.host = as<std::string>(v, n); }},
      {"redis_port",
       [](Options& o, py::handle v, const std::string& n) { o.redis.port = as<int>(v, n); }},
      {"redis_database",
       [](Options& o, py::handle v, const std::string& n) { o.redis.database = as<int>(v, n); }},
      {"redis_username", [](Options& o, py::handle v,
                            const std::string& n) { o.redis.username = as<std::string>(v, n); }},
      {"redis_password", [](Options& o, py::handle v,
                            const std::string& n) { o.redis.password = as<std::string>(v, n); }},
      {"redis_connect_timeout_ms",
       [](Options& o, py::handle v,
          const std::string& n) { o.redis.connect_timeout = millis(v, n); }},
      {"redis_socket_timeout_ms",
       [](Options& o, py::handle v,
          const std::string& n) { o.redis.socket_timeout = millis(v, n); }},
      {"redis_pool_size", [](Options& o, py::handle v,
                             const std::string& n) { o.redis.pool_size = non_negative(v, n); }},
      {"redis_pool_wait_timeout_ms",
       [](Options& o, py::handle v,
          const std::string& n) { o.redis.pool_wait_timeout = millis(v, n); }},
      {"redis_health_check_interval_ms",
       [](Options& o, py::handle v,
          const std::string& n) { o.redis.health_check_interval = millis(v, n); }},
      {"redis_key_prefix",
       [](Options& o, py::handle v,
          const std::string& n) { o.redis.key_prefix = as<std::string>(v, n); }},
  };
  return table;
}

}  // namespace

Options options_from(const py::dict& settings) {
  Options options;
  for (auto [key, value] : settings) {
    auto name = as<std::string>(key, "name");
    auto it = setters().find(name);
    if (it == setters().end()) throw py::value_error("unknown option: " + name);
    if (!value.is_none()) it->second(options, value, name);
  }
  return options;
}

}  // namespace nadb::python
