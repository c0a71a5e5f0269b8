#include "engine/tag_sets.hpp"

#include "util/varint.hpp"

namespace nadb::engine {

// The empty set takes id 0 with the first set, not at construction: a keydir loaded from an
// image replaces the table, and the first one's entry chunk would be allocated for nothing.
TagSets::TagSets() : table_(std::make_unique<KeyTable>()) {}

std::uint32_t TagSets::acquire(const std::vector<std::string_view>& tags) {
  if (tags.empty()) return kEmpty;
  if (table_->id_limit() == 0) {
    std::uint32_t empty = table_->insert("", {});
    table_->at(empty).version = 1;  // held by the table itself: never released
  }
  thread_local std::string encoded;  // reused: no allocation per write
  encoded.clear();
  for (auto tag : tags) {
    util::put_varint(encoded, tag.size());
    encoded.append(tag);
  }
  std::uint32_t id = table_->find(encoded);
  if (id == KeyTable::kNoId) id = table_->insert(encoded, {});
  ++table_->at(id).version;
  return id;
}

void TagSets::release(std::uint32_t id) {
  if (id == kEmpty) return;
  if (--table_->at(id).version == 0) table_->erase(id);
}

std::vector<std::string_view> TagSets::tags(std::uint32_t id) const {
  std::vector<std::string_view> out;
  if (id == kEmpty) return out;
  util::Reader in(table_->at(id).key.view());
  std::string_view tag;
  while (!in.at_end() && in.length_prefixed(tag))
    out.push_back(tag);
  return out;
}

void TagSets::adopt(std::unique_ptr<KeyTable> table) {
  // Its id 0 is not read here: an image's pages are verified as reads first touch them, and
  // touching one at open cost a millisecond right after the image was written.
  table_ = std::move(table);
}

}  // namespace nadb::engine
