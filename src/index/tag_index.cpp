#include "index/tag_index.hpp"

#include <algorithm>
#include <vector>

#include "util/varint.hpp"

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

namespace {

constexpr std::uint32_t kImageVersion = 1;

void put_bitmap(std::string& out, const Roaring& ids) {
  std::size_t size = ids.getSizeInBytes(true);
  util::put_varint(out, size);
  std::size_t at = out.size();
  out.resize(at + size);
  ids.write(out.data() + at, true);
}

// A bitmap of exactly the recorded size; false on malformed bytes.
bool get_bitmap(util::Reader& in, Roaring& ids) {
  std::string_view bytes;
  if (!in.length_prefixed(bytes) ||
      roaring_bitmap_portable_deserialize_size(bytes.data(), bytes.size()) != bytes.size()) {
    return false;
  }
  roaring_bitmap_t* read = roaring_bitmap_portable_deserialize_safe(bytes.data(), bytes.size());
  if (read == nullptr) return false;
  ids = Roaring(read);
  return true;
}

}  // namespace

std::string TagIndex::save_image() const {
  std::string out;
  util::put_fixed<std::uint32_t>(out, kImageVersion);
  util::put_varint(out, postings_.size());
  for_each_tag([&](const std::string& tag, const Roaring& ids) {
    util::put_varint(out, tag.size());
    out.append(tag);
    put_bitmap(out, ids);
  });
  put_bitmap(out, all_);
  return out;
}

bool TagIndex::load_image(std::string_view image) {
  clear();
  util::Reader in(image);
  std::uint32_t version = 0;
  std::uint64_t count = 0;
  if (!in.fixed(version) || version != kImageVersion || !in.varint(count)) return false;
  for (std::uint64_t i = 0; i < count; ++i) {
    std::string_view tag;
    Roaring ids;
    if (!in.length_prefixed(tag) || !get_bitmap(in, ids) || postings_.count(tag) != 0) {
      clear();
      return false;
    }
    if (!ids.isEmpty()) postings_.emplace(std::string(tag), std::move(ids));
  }
  if (!get_bitmap(in, all_) || !in.at_end()) {
    clear();
    return false;
  }
  return true;
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
