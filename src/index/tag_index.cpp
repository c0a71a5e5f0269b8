#include "index/tag_index.hpp"

#include <algorithm>
#include <vector>

namespace nadb::index {

Roaring& TagIndex::postings_of(std::string_view tag) {
  auto it = postings_.find(tag);
  if (it == postings_.end()) it = postings_.emplace(std::string(tag), Roaring()).first;
  return it->second;
}

void TagIndex::on_change(std::uint32_t id, const std::vector<std::string_view>* before,
                         const std::vector<std::string_view>* after) {
  if (before != nullptr && after != nullptr && *before == *after) {  // an overwrite, same tags
    WriteCounter::on_change(id, before, after);
    return;
  }
  if (before != nullptr) {
    for (auto tag : *before) {
      if (after != nullptr && std::binary_search(after->begin(), after->end(), tag)) continue;
      auto it = postings_.find(tag);
      if (it == postings_.end()) continue;
      it->second.remove(id);
      if (it->second.isEmpty()) postings_.erase(it);
    }
  }
  if (after != nullptr) {
    for (auto tag : *after)
      postings_of(tag).add(id);
    all_.add(id);
  } else {
    all_.remove(id);
  }
  WriteCounter::on_change(id, before, after);
}

void TagIndex::on_added(const std::vector<std::string_view>& tags,
                        std::span<const std::uint32_t> ids) {
  for (auto tag : tags)
    postings_of(tag).addMany(ids.size(), ids.data());
  all_.addMany(ids.size(), ids.data());
  WriteCounter::on_added(tags, ids);
}

void TagIndex::clear() {
  postings_.clear();
  all_ = Roaring();
  WriteCounter::clear();
}

const Roaring* TagIndex::postings(std::string_view tag) const {
  auto it = postings_.find(tag);
  return it == postings_.end() ? nullptr : &it->second;
}

void TagIndex::for_each_tag(
    const std::function<void(const std::string&, const Roaring&)>& fn) const {
  std::vector<const std::pair<const std::string, Roaring>*> sorted;
  sorted.reserve(postings_.size());
  for (const auto& entry : postings_)
    sorted.push_back(&entry);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->first < b->first; });
  for (const auto* entry : sorted)
    fn(entry->first, entry->second);
}

std::size_t TagIndex::memory_bytes() const {
  std::size_t bytes = all_.getSizeInBytes(false) + postings_.bucket_count() * sizeof(void*);
  for (const auto& [tag, ids] : postings_) {
    bytes += ids.getSizeInBytes(false) + tag.capacity() + sizeof(Roaring) + 2 * sizeof(void*);
  }
  return bytes;
}

void TagIndex::optimize() {
  for (auto& [tag, ids] : postings_) {
    ids.runOptimize();
    ids.shrinkToFit();
  }
  all_.runOptimize();
  all_.shrinkToFit();
}

}  // namespace nadb::index
