#include "engine/tag_sets.hpp"

#include "util/checksum.hpp"
#include "util/varint.hpp"

namespace nadb::engine {

TagSets::TagSets() : sets_(1) {}

std::size_t TagSets::EncodedHash::operator()(std::string_view encoded) const {
  return util::checksum(encoded);
}

std::uint32_t TagSets::acquire(const std::vector<std::string_view>& tags) {
  if (tags.empty()) return kEmpty;
  thread_local std::string encoded;  // reused: no allocation per write
  encoded.clear();
  for (auto tag : tags) {
    util::put_varint(encoded, tag.size());
    encoded.append(tag);
  }
  auto found = lookup_.find(std::string_view(encoded));
  if (found != lookup_.end()) {
    ++sets_[found->second].references;
    return found->second;
  }
  std::uint32_t id;
  if (!free_ids_.empty()) {
    id = free_ids_.back();
    free_ids_.pop_back();
  } else {
    id = static_cast<std::uint32_t>(sets_.size());
    sets_.emplace_back();
  }
  Set& set = sets_[id];
  set.tags.assign(tags.begin(), tags.end());
  set.encoded = encoded;
  set.references = 1;
  lookup_.emplace(encoded, id);
  return id;
}

void TagSets::release(std::uint32_t id) {
  if (id == kEmpty) return;
  Set& set = sets_[id];
  if (--set.references > 0) return;
  lookup_.erase(set.encoded);
  set = Set{};
  free_ids_.push_back(id);
}

void TagSets::encode(std::string& out) const {
  util::put_varint(out, sets_.size());
  for (const Set& set : sets_) {
    util::put_varint(out, set.references);
    if (set.references == 0) continue;  // the empty set, or a free id
    util::put_varint(out, set.tags.size());
    for (const auto& tag : set.tags) {
      util::put_varint(out, tag.size());
      out.append(tag);
    }
  }
}

bool TagSets::decode(util::Reader& in) {
  std::uint64_t count = 0;
  if (!in.varint(count) || count == 0 || count > UINT32_MAX) return false;
  sets_.assign(1, Set{});
  for (std::uint32_t id = 0; id < count; ++id) {
    std::uint64_t references = 0, tag_count = 0;
    if (!in.varint(references)) return false;
    if (id == kEmpty) {
      if (references != 0) return false;
      continue;
    }
    sets_.emplace_back();
    if (references == 0) {
      free_ids_.push_back(id);
      continue;
    }
    if (!in.varint(tag_count)) return false;
    std::vector<std::string_view> tags;
    for (std::uint64_t i = 0; i < tag_count; ++i) {
      std::string_view tag;
      if (!in.length_prefixed(tag)) return false;
      tags.push_back(tag);
    }
    Set& set = sets_[id];
    set.tags.assign(tags.begin(), tags.end());
    for (auto tag : tags) {
      util::put_varint(set.encoded, tag.size());
      set.encoded.append(tag);
    }
    set.references = references;
    if (!lookup_.emplace(set.encoded, id).second) return false;  // a set listed twice
  }
  return true;
}

std::size_t TagSets::memory_bytes() const {
  std::size_t bytes = sets_.capacity() * sizeof(Set);
  for (const auto& set : sets_)
    bytes += 2 * set.encoded.capacity() + set.tags.capacity() * 32;
  return bytes;
}

}  // namespace nadb::engine
