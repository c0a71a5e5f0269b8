// Defaults of the optional StorageBackend members.
#include "nadb/backend.hpp"
#include "nadb/errors.hpp"

namespace nadb {

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

}  // namespace nadb
