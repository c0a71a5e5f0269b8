#include "engine/saved_tag_index.hpp"

#include <mutex>

namespace nadb::engine {

SavedTagIndex SavedTagIndex::of(const NamespaceKeys& ns, std::uint64_t at) {
  SavedTagIndex saved;
  saved.at = at;
  std::lock_guard lock(ns.index_build_mutex);  // a reader may be building it meanwhile
  if (ns.index && ns.index_built.load(std::memory_order_acquire)) {
    saved.bytes = ns.index->save_image();
    saved.from_built_index = true;
    return saved;
  }
  const NamespaceKeys::IndexImage& image = ns.index_image;
  if (!image.intact()) return saved;
  saved.bytes = image.bytes;
  saved.changes = image.changes;
  return saved;
}

void SavedTagIndex::put(std::string& meta) const {
  util::put_fixed<std::uint64_t>(meta, at);
  util::put_fixed<std::uint64_t>(meta, bytes.size());
  util::put_varint(meta, changes.size());
  for (const auto& [id, tags] : changes) {
    util::put_fixed<std::uint32_t>(meta, id);
    meta.push_back(tags ? 1 : 0);
    if (!tags) continue;
    util::put_varint(meta, tags->size());
    for (const std::string& tag : *tags) {
      util::put_varint(meta, tag.size());
      meta.append(tag);
    }
  }
}

bool SavedTagIndex::get(util::Reader& in, std::uint32_t id_count,
                        const std::function<bool(std::uint64_t, std::uint64_t)>& inside,
                        std::shared_ptr<const VerifiedBlocks> blocks, const char* body,
                        NamespaceKeys& ns) {
  std::uint64_t at = 0, size = 0, changes = 0;
  if (!in.fixed(at) || !in.fixed(size) || !in.varint(changes) || !inside(at, size) ||
      (size == 0 && changes != 0)) {
    return false;
  }
  NamespaceKeys::IndexImage& image = ns.index_image;
  for (std::uint64_t i = 0; i < changes; ++i) {
    std::uint32_t id = 0;
    std::uint8_t live = 0;
    std::uint64_t count = 0;
    if (!in.fixed(id) || id >= id_count || !in.fixed(live) || live > 1) return false;
    std::optional<std::vector<std::string>> tags;
    if (live == 1) {
      if (!in.varint(count) || count > in.rest().size()) return false;
      tags.emplace();
      for (std::uint64_t t = 0; t < count; ++t) {
        std::string_view tag;
        if (!in.length_prefixed(tag)) return false;
        tags->emplace_back(tag);
      }
    }
    if (!image.changes.emplace(id, std::move(tags)).second) return false;
  }
  if (size == 0) return true;
  image.blocks = std::move(blocks);
  image.bytes = std::string_view(body + at, size);
  return true;
}

}  // namespace nadb::engine
