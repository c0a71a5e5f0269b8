#include "backends/fs_backend.hpp"

#include "engine/engine.hpp"
#include "util/files.hpp"

namespace nadb::backends {

std::shared_ptr<StorageBackend> open_fs_backend(const Options& options) {
  engine::EngineOptions engine_options;
  engine_options.buffer_bytes = static_cast<std::size_t>(options.buffer_size_mb * (1 << 20));
  engine_options.segment_bytes =
      static_cast<std::uint64_t>(options.max_segment_size_mb * (1 << 20));
  engine_options.compaction_dead_ratio = options.compaction_dead_ratio;
  engine_options.recovery = options.recovery_mode;
  engine_options.read_only = options.read_only;
  engine_options.keydir_memory_bytes = options.keydir_memory_bytes;
  return engine::Engine::open(util::join_path(options.data_folder, options.db), engine_options);
}

}  // namespace nadb::backends
