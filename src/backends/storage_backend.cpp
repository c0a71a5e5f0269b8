// Defaults of the optional StorageBackend members.
#include "nadb/backend.hpp"
#include "nadb/errors.hpp"

namespace nadb {

std::vector<std::optional<StoredRecord>> StorageBackend::get_many(
    std::string_view ns, const std::vector<std::string>& keys, std::int64_t now_ms,
    bool with_tags) {
  std::vector<std::optional<StoredRecord>> records;
  records.reserve(keys.size());
  for (const auto& key : keys)
    records.push_back(get(ns, key, now_ms, with_tags));
  return records;
}

std::shared_ptr<IndexSink> StorageBackend::attach_index(
    std::string_view, const std::function<std::shared_ptr<IndexSink>()>&, bool) {
  throw NotSupported("backend '" + capabilities().name + "' keeps no local key index");
}

void StorageBackend::read_index(std::string_view,
                                const std::function<void(const KeyIdReader&, IndexSink*)>&) {
  throw NotSupported("backend '" + capabilities().name + "' keeps no local key index");
}

Snapshot StorageBackend::snapshot() {
  throw NotSupported("backend '" + capabilities().name +
                     "' has no files to back up; use export_jsonl for a logical backup");
}

void StorageBackend::replace_files(const std::string&) {
  throw NotSupported("backend '" + capabilities().name + "' has no files to restore");
}

std::vector<std::string> StorageBackend::namespaces() {
  throw NotSupported("backend '" + capabilities().name + "' cannot list its namespaces");
}

std::string StorageBackend::identity() {
  return "";
}

ChangeSet StorageBackend::changes_since(std::string_view, std::int64_t) {
  throw NotSupported("backend '" + capabilities().name + "' keeps no change index");
}

std::int64_t StorageBackend::change_clock_ms() {
  throw NotSupported("backend '" + capabilities().name + "' keeps no change index");
}

std::string StorageBackend::create_staging(std::string_view) {
  throw NotSupported("backend '" + capabilities().name + "' cannot stage a logical restore");
}

void StorageBackend::swap_in_staging(std::string_view, std::string_view) {
  throw NotSupported("backend '" + capabilities().name + "' cannot stage a logical restore");
}

void StorageBackend::drop_staging(std::string_view, std::string_view) {
  throw NotSupported("backend '" + capabilities().name + "' cannot stage a logical restore");
}

ServerQueryPage StorageBackend::query(std::string_view, const Query&, std::size_t, std::size_t,
                                      std::int64_t) {
  throw NotSupported("backend '" + capabilities().name + "' does not answer tag queries");
}

std::uint64_t StorageBackend::write_generation(std::string_view) {
  throw NotSupported("backend '" + capabilities().name + "' keeps no write generation");
}

std::map<std::string, std::size_t> StorageBackend::tag_counts(std::string_view, std::int64_t) {
  throw NotSupported("backend '" + capabilities().name + "' does not count tags");
}

}  // namespace nadb
