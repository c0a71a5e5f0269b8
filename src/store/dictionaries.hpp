// Per-namespace zstd dictionaries for small values. Compressed alone, a 1 KiB value pays
// zstd's per-frame cost and learns nothing from its neighbours; with a dictionary trained from
// its namespace's values it is smaller and decodes about twice as fast (docs/PERFORMANCE.md).
// A dictionary holds pieces of the values it was trained from, and outlives them.
//
// A dictionary is a record of the backend's reserved namespace kDictionaryNamespace (so every
// backend stores it, and physical backups, compaction and replication carry it like any
// record), under "dictionary:<id>" and again under "copy:<id>" (one damaged record must not
// cost every value that needs it); "namespace:<ns>" names the dictionary ns compresses with.
// Ids are zstd's own (derived from the content, 32768 to 2^31), written once and never
// changed: a frame names its dictionary by id, so any store of the backend decodes it. A
// dictionary is stored (synced) before the first frame that needs it is made, and never
// deleted. Dictionaries are trained from the first values a store compresses, once they add up
// to Options::dictionary_training_bytes; until then values are compressed alone.
#pragma once

#include <zstd.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nadb/backend.hpp"
#include "nadb/options.hpp"
#include "util/shared_mutex.hpp"
#include "util/thread_annotations.hpp"

namespace nadb::store {

class ValueDictionaries {
 public:
  // For the values of namespace ns, as options configure (Compression::Zstd and a nonzero
  // Options::dictionary_value_limit enable it).
  ValueDictionaries(std::string ns, const Options& options);
  ~ValueDictionaries();

  // Whether a value of this size is one a dictionary is for.
  bool is_for(std::size_t value_size) const;
  // value compressed with ns's dictionary (empty when not smaller), or nullopt when ns has
  // none (yet). Thread-safe.
  std::optional<std::string> compress(StorageBackend& backend, std::string_view value);
  // Whether ns has no dictionary yet and values written to it should be offered as samples.
  bool wants_samples() const { return wants_samples_.load(std::memory_order_relaxed); }
  // Keeps values that were written (committed: never a rolled-back or refused write's) as
  // training samples; the call whose samples complete the budget trains a dictionary and
  // stores it in backend. One that cannot be trained or stored is logged and not tried again
  // by this object. Thread-safe.
  void add_samples(StorageBackend& backend, const std::vector<std::string>& values);
  // A frame made with dictionary id, decoded. Corruption when backend has no intact copy of
  // the dictionary or the frame does not decode to raw_size bytes. Thread-safe.
  std::string decompress(StorageBackend& backend, std::string_view frame, std::uint32_t id,
                         std::uint64_t raw_size);

  // Writes every dictionary this object has read back into backend where its records are not
  // intact: after a restore that replaced the db's files (stores keep compressing with theirs,
  // which the restore carries only while intact). Logs what it cannot write.
  void store_loaded(StorageBackend& backend);

  // Copies source's dictionaries into target where target lacks them intact (synced), so that
  // frames copied from source as they are decode in target. Corruption, before anything is written,
  // when target holds another dictionary under one of source's ids.
  static void copy_all(StorageBackend& source, StorageBackend& target);
  // Whether backend holds dictionary id intact (either of its two records): what a frame
  // naming it needs to decode. Throws what the backend's reads throw.
  static bool is_stored(StorageBackend& backend, std::uint32_t id);

 private:
  struct Loaded;
  struct Current;
  std::shared_ptr<const Loaded> load(StorageBackend& backend, std::uint32_t id);
  std::shared_ptr<const Current> current(StorageBackend& backend) REQUIRES(train_mutex_);
  void train_and_store(StorageBackend& backend) REQUIRES(train_mutex_);
  // Makes the dictionary named by id (decimal) the one ns compresses with.
  void adopt(StorageBackend& backend, const std::string& id) REQUIRES(train_mutex_);

  const std::string ns_;
  const std::size_t minimum_size_, limit_, training_bytes_;
  const bool writable_;
  std::atomic<bool> wants_samples_;

  // Guarded by train_mutex_: the dictionary ns compresses with, and the samples until then.
  util::Mutex train_mutex_;
  bool looked_up_ GUARDED_BY(train_mutex_) = false;  // "namespace:<ns>" read once
  bool given_up_ GUARDED_BY(train_mutex_) = false;
  std::shared_ptr<const Current> current_ GUARDED_BY(train_mutex_);
  std::string samples_ GUARDED_BY(train_mutex_);
  std::vector<std::size_t> sample_sizes_ GUARDED_BY(train_mutex_);

  // Guarded by loaded_mutex_: every dictionary this object has read, by id.
  util::SharedMutex loaded_mutex_;
  std::map<std::uint32_t, std::shared_ptr<const Loaded>> loaded_ GUARDED_BY(loaded_mutex_);
};

}  // namespace nadb::store
