#include "store/dictionaries.hpp"

#include <zdict.h>

#include <climits>
#include <set>

#include "nadb/errors.hpp"
#include "obs/log.hpp"
#include "store/compression.hpp"
#include "util/clock.hpp"

namespace nadb::store {

namespace {

// 16 KiB, as RocksDB's default: a 4 KiB one compressed log lines within 2 % of it, but
// values more varied than those need the room.
constexpr std::size_t kDictionaryCapacity = 16 << 10;
constexpr int kLevel = 3;  // compress_value's

std::string dictionary_key(std::uint32_t id) {
  return "dictionary:" + std::to_string(id);
}
std::string copy_key(std::uint32_t id) {
  return "copy:" + std::to_string(id);
}
std::string namespace_key(std::string_view ns) {
  return "namespace:" + std::string(ns);
}

// The value of key in the dictionary namespace, if it is there and readable: a record failing
// its checksum is as good as missing (there is a copy).
std::optional<std::string> read(StorageBackend& backend, const std::string& key) {
  std::optional<StoredRecord> record;
  try {
    record = backend.get(kDictionaryNamespace, key, util::now_ms(), false);
  } catch (const Corruption& e) {
    obs::logger(obs::Component::Store)
        .error("a compression dictionary record is damaged", {{"key", key}, {"error", e.what()}});
    return std::nullopt;
  }
  if (!record || record->meta.codec != ValueCodec::None) return std::nullopt;
  return std::move(record->value);
}

// Puts key = value in the dictionary namespace, synced; when only_if_absent, a key already
// there is left as it is.
void write(StorageBackend& backend, const std::string& key, std::string value,
           bool only_if_absent) {
  WriteBatch batch;
  WriteOp& op = batch.ops.emplace_back();
  op.ns = std::string(kDictionaryNamespace);
  op.key = key;
  op.raw_size = value.size();
  op.value = std::move(value);
  if (only_if_absent) op.condition = WriteOp::Condition::Absent;
  batch.now_ms = util::now_ms();
  batch.sync = true;
  backend.apply(batch);
}

// A dictionary id as the keys and namespace: records spell it; Corruption if it is not one.
std::uint32_t parse_id(const std::string& text) {
  std::size_t end = 0;
  unsigned long id = 0;
  try {
    id = std::stoul(text, &end);
  } catch (const std::exception&) {
  }
  if (end != text.size() || id == 0 || id > UINT32_MAX)
    throw Corruption("'" + text + "' in " + std::string(kDictionaryNamespace) +
                     " is no dictionary id");
  return static_cast<std::uint32_t>(id);
}

// Whether bytes are a zstd dictionary with this id.
bool is_dictionary(std::string_view bytes, std::uint32_t id) {
  return ZSTD_getDictID_fromDict(bytes.data(), bytes.size()) == id;
}

// Dictionary id from backend: its first record if intact, else its copy.
std::optional<std::string> intact_dictionary(StorageBackend& backend, std::uint32_t id) {
  for (const std::string& key : {dictionary_key(id), copy_key(id)}) {
    std::optional<std::string> bytes = read(backend, key);
    if (bytes && is_dictionary(*bytes, id)) return bytes;
  }
  return std::nullopt;
}

// Stores dictionary id under each of its keys that does not hold it intact (absent, failing
// its checksum, or not a dictionary): the same bytes are never wrong there. Corruption when a
// key holds another dictionary with its id.
void store_dictionary(StorageBackend& backend, std::uint32_t id, const std::string& bytes) {
  for (const std::string& key : {dictionary_key(id), copy_key(id)}) {
    std::optional<std::string> there = read(backend, key);
    if (there && *there == bytes) continue;
    if (there && is_dictionary(*there, id)) {
      throw Corruption("two compression dictionaries have id " + std::to_string(id) +
                       "; values made with one cannot be copied where the other is");
    }
    write(backend, key, bytes, false);
  }
}

// Writes bytes to key (synced), logging a failure: a mend must not fail the read it is in.
void heal(StorageBackend& backend, const std::string& key, const std::string& bytes) {
  try {
    write(backend, key, bytes, false);
  } catch (const std::exception& e) {
    obs::logger(obs::Component::Store)
        .error("a damaged compression dictionary record could not be written again",
               {{"key", key}, {"error", e.what()}});
  }
}

}  // namespace

// A dictionary digested for decoding (~40 µs for 16 KiB: once per id), with its bytes for
// digesting it for compressing too: only the namespace's own needs that (~0.5 MB of tables at
// level 3), not every one a reader meets.
struct ValueDictionaries::Loaded {
  explicit Loaded(std::string dictionary)
      : bytes(std::move(dictionary)), decompress(ZSTD_createDDict(bytes.data(), bytes.size())) {
    if (!decompress) throw std::bad_alloc();
  }
  ~Loaded() { ZSTD_freeDDict(decompress); }
  Loaded(const Loaded&) = delete;
  Loaded& operator=(const Loaded&) = delete;

  const std::string bytes;
  ZSTD_DDict* const decompress;
};

// The namespace's dictionary digested for compressing.
struct ValueDictionaries::Current {
  explicit Current(const std::string& bytes)
      : compress(ZSTD_createCDict(bytes.data(), bytes.size(), kLevel)) {
    if (!compress) throw std::bad_alloc();
  }
  ~Current() { ZSTD_freeCDict(compress); }
  Current(const Current&) = delete;
  Current& operator=(const Current&) = delete;

  ZSTD_CDict* const compress;
};

ValueDictionaries::ValueDictionaries(std::string ns, const Options& options)
    : ns_(std::move(ns)),
      minimum_size_(std::max<std::size_t>(options.compression_threshold, 1)),
      // A read-only store compresses nothing: it only decodes.
      limit_(options.compression == Compression::Zstd && !options.read_only
                 ? options.dictionary_value_limit
                 : 0),
      training_bytes_(options.dictionary_training_bytes),
      writable_(!options.read_only),
      wants_samples_(limit_ != 0) {}

ValueDictionaries::~ValueDictionaries() = default;

bool ValueDictionaries::is_for(std::size_t value_size) const {
  return value_size >= minimum_size_ && value_size < limit_;
}

std::optional<std::string> ValueDictionaries::compress(StorageBackend& backend,
                                                       std::string_view value) {
  std::shared_ptr<const Current> dictionary;
  {
    util::MutexLock lock(train_mutex_);
    dictionary = current(backend);
  }
  if (!dictionary) return std::nullopt;
  return compress_with_dictionary(value, dictionary->compress);
}

void ValueDictionaries::add_samples(StorageBackend& backend,
                                    const std::vector<std::string>& values) {
  util::MutexLock lock(train_mutex_);
  if (current(backend) || given_up_) return;
  for (const auto& value : values) {
    samples_.append(value);
    sample_sizes_.push_back(value.size());
  }
  if (samples_.size() >= training_bytes_) train_and_store(backend);
}

std::shared_ptr<const ValueDictionaries::Current> ValueDictionaries::current(
    StorageBackend& backend) {
  if (looked_up_ || given_up_) return current_;
  looked_up_ = true;
  std::optional<std::string> id = read(backend, namespace_key(ns_));
  if (!id) return nullptr;
  wants_samples_ = false;
  try {
    adopt(backend, *id);
  } catch (const std::exception& e) {
    // Values are compressed alone, as before the dictionary: the rest is for decode to say.
    given_up_ = true;
    wants_samples_ = false;
    obs::logger(obs::Component::Store)
        .error(
            "the namespace's compression dictionary cannot be read; values are compressed "
            "without one",
            {{"ns", ns_}, {"dictionary", *id}, {"error", e.what()}});
  }
  return current_;
}

void ValueDictionaries::train_and_store(StorageBackend& backend) {
  wants_samples_ = false;
  std::string bytes(kDictionaryCapacity, '\0');
  std::size_t n = ZDICT_trainFromBuffer(bytes.data(), bytes.size(), samples_.data(),
                                        sample_sizes_.data(), sample_sizes_.size());
  std::string samples = std::move(samples_);
  samples_.clear();
  sample_sizes_.clear();
  try {
    if (ZDICT_isError(n)) throw InvalidArgument(ZDICT_getErrorName(n));
    bytes.resize(n);
    std::uint32_t id = ZDICT_getDictID(bytes.data(), bytes.size());
    // Another store of ns may have trained one since the lookup: one per namespace is enough.
    std::optional<std::string> named = read(backend, namespace_key(ns_));
    if (!named) {
      store_dictionary(backend, id, bytes);
      write(backend, namespace_key(ns_), std::to_string(id), true);
      named = read(backend, namespace_key(ns_));  // another store's, if it wrote first
      if (!named) {  // there, but damaged: each session would train another dictionary
        write(backend, namespace_key(ns_), std::to_string(id), false);
        named = std::to_string(id);
      }
    }
    if (named && *named != std::to_string(id)) {
      adopt(backend, *named);
      return;
    }
    current_ = std::make_shared<const Current>(bytes);
    obs::logger(obs::Component::Store)
        .info("compression dictionary trained", {{"ns", ns_},
                                                 {"dictionary", id},
                                                 {"bytes", bytes.size()},
                                                 {"samples", samples.size()}});
  } catch (const std::exception& e) {
    given_up_ = true;
    obs::logger(obs::Component::Store)
        .warn("no compression dictionary: values are compressed without one",
              {{"ns", ns_}, {"error", e.what()}});
  }
}

void ValueDictionaries::store_loaded(StorageBackend& backend) {
  std::map<std::uint32_t, std::shared_ptr<const Loaded>> loaded;
  {
    util::ReaderLock lock(loaded_mutex_);
    loaded = loaded_;
  }
  for (const auto& [id, dictionary] : loaded) {
    try {
      store_dictionary(backend, id, dictionary->bytes);
    } catch (const std::exception& e) {
      obs::logger(obs::Component::Store)
          .error("a compression dictionary could not be written back after a restore",
                 {{"dictionary", id}, {"error", e.what()}});
    }
  }
}

void ValueDictionaries::adopt(StorageBackend& backend, const std::string& id) {
  current_ = std::make_shared<const Current>(load(backend, parse_id(id))->bytes);
}

std::shared_ptr<const ValueDictionaries::Loaded> ValueDictionaries::load(StorageBackend& backend,
                                                                         std::uint32_t id) {
  {
    util::ReaderLock lock(loaded_mutex_);
    auto it = loaded_.find(id);
    if (it != loaded_.end()) return it->second;
  }
  const std::string keys[] = {dictionary_key(id), copy_key(id)};
  std::optional<std::string> held[] = {read(backend, keys[0]), read(backend, keys[1])};
  auto intact = [&](const std::optional<std::string>& bytes) {
    return bytes && is_dictionary(*bytes, id);
  };
  std::optional<std::string> bytes = intact(held[0]) ? held[0] : held[1];
  if (!intact(bytes)) {
    throw Corruption("compression dictionary " + std::to_string(id) +
                     " is missing or damaged (both copies)");
  }
  // A record lost to damage (or dropped by a repair) is written again from its twin while one
  // is left: otherwise the next damage would cost every value that needs the dictionary.
  for (int i = 0; i < 2 && writable_; ++i) {
    if (!intact(held[i])) heal(backend, keys[i], *bytes);
  }
  auto loaded = std::make_shared<const Loaded>(std::move(*bytes));
  util::WriterLock lock(loaded_mutex_);
  return loaded_.try_emplace(id, std::move(loaded)).first->second;
}

std::string ValueDictionaries::decompress(StorageBackend& backend, std::string_view frame,
                                          std::uint32_t id, std::uint64_t raw_size) {
  return decompress_with_dictionary(frame, load(backend, id)->decompress, raw_size);
}

bool ValueDictionaries::is_stored(StorageBackend& backend, std::uint32_t id) {
  return intact_dictionary(backend, id).has_value();
}

void ValueDictionaries::copy_all(StorageBackend& source, StorageBackend& target) {
  // Ids under either key: a repair may have dropped one of the two records.
  std::set<std::uint32_t> ids;
  for (std::string prefix : {"dictionary:", "copy:"}) {
    std::string cursor;
    do {
      KeyPage page = source.scan(kDictionaryNamespace, prefix, cursor, 100, util::now_ms());
      for (const auto& key : page.keys)
        ids.insert(parse_id(key.substr(prefix.size())));
      cursor = std::move(page.next_cursor);
    } while (!cursor.empty());
  }
  std::vector<std::pair<std::uint32_t, std::string>> found;
  for (std::uint32_t id : ids) {
    std::optional<std::string> bytes = intact_dictionary(source, id);
    if (!bytes) {
      throw Corruption("compression dictionary " + std::to_string(id) +
                       " of the copied db is missing or damaged (both copies)");
    }
    std::optional<std::string> there = intact_dictionary(target, id);
    if (there && *there != *bytes) {
      throw Corruption("two compression dictionaries have id " + std::to_string(id) +
                       "; values made with one cannot be copied where the other is");
    }
    found.emplace_back(id, std::move(*bytes));
  }
  for (const auto& [id, bytes] : found)
    store_dictionary(target, id, bytes);
}

}  // namespace nadb::store
