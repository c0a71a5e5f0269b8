#include "backends/fs_backend.hpp"

#include "backends/batch_rules.hpp"
#include "engine/record.hpp"
#include "util/files.hpp"

namespace nadb::backends {
namespace {

class FsBackend final : public StorageBackend {
 public:
  explicit FsBackend(std::shared_ptr<engine::Engine> engine) : engine_(std::move(engine)) {
    capabilities_.name = "fs";
    capabilities_.persistent = true;
    capabilities_.shared_by_processes = false;
    capabilities_.physical_backups = true;
    capabilities_.max_value_size = 1ull << 30;
    capabilities_.max_batch_bytes = engine::kMaxPayloadSize / 2;  // encoding adds headers
  }

  const BackendCapabilities& capabilities() const override { return capabilities_; }
  BatchResult apply(const WriteBatch& batch) override {
    check_batch_rules(batch, capabilities_.max_batch_bytes);
    return engine_->apply(batch);
  }
  std::optional<StoredRecord> get(std::string_view ns, std::string_view key, std::int64_t now_ms,
                                  bool with_tags) override {
    return engine_->get(ns, key, now_ms, with_tags);
  }
  std::optional<RecordMeta> get_meta(std::string_view ns, std::string_view key,
                                     std::int64_t now_ms) override {
    return engine_->get_meta(ns, key, now_ms);
  }
  KeyPage scan(std::string_view ns, std::string_view prefix, std::string_view cursor,
               std::size_t limit, std::int64_t now_ms) override {
    return engine_->scan(ns, prefix, cursor, limit, now_ms);
  }
  std::size_t count(std::string_view ns, std::int64_t now_ms) override {
    return engine_->count(ns, now_ms);
  }
  std::size_t remove_expired(std::string_view ns, std::int64_t now_ms, bool sync) override {
    return engine_->remove_expired(ns, now_ms, sync);
  }
  std::size_t clear(std::string_view ns, std::int64_t now_ms, bool sync) override {
    return engine_->clear(ns, now_ms, sync);
  }
  void flush() override { engine_->flush(); }
  CompactionReport compact(const ProgressCallback& progress) override {
    return engine_->compact(progress);
  }
  BackendStats stats() override { return engine_->stats(); }
  std::shared_ptr<IndexSink> attach_index(std::string_view ns,
                                          const std::function<std::shared_ptr<IndexSink>()>& make,
                                          bool rebuild) override {
    return engine_->attach_index(ns, make, rebuild);
  }
  void read_index(std::string_view ns,
                  const std::function<void(const KeyIdReader&, IndexSink*)>& fn) override {
    engine_->read_index(ns, fn);
  }
  Snapshot snapshot() override { return engine_->snapshot(); }
  void replace_files(const std::string& folder) override { engine_->replace_files(folder); }
  std::vector<std::string> namespaces() override { return engine_->namespaces(); }
  void refresh() override { engine_->refresh(); }
  // The db folder's canonical path (the engine's registry key).
  std::string identity() override { return "fs:" + engine_->dir(); }

 private:
  std::shared_ptr<engine::Engine> engine_;
  BackendCapabilities capabilities_;
};

}  // namespace

std::shared_ptr<StorageBackend> open_fs_backend(const Options& options) {
  engine::EngineOptions engine_options;
  engine_options.buffer_bytes = static_cast<std::size_t>(options.buffer_size_mb * (1 << 20));
  engine_options.segment_bytes =
      static_cast<std::uint64_t>(options.max_segment_size_mb * (1 << 20));
  engine_options.compaction_dead_ratio = options.compaction_dead_ratio;
  engine_options.recovery = options.recovery_mode;
  engine_options.read_only = options.read_only;
  auto engine =
      engine::Engine::open(util::join_path(options.data_folder, options.db), engine_options);
  return std::make_shared<FsBackend>(std::move(engine));
}

}  // namespace nadb::backends
