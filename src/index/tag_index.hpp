// TagIndex: one namespace's tag postings as roaring bitmaps over the backend's dense key ids,
// plus the set of every live id (for NOT). The backend updates it inside its write critical
// section (IndexSink) and queries read it under the backend's read lock, so it needs no lock
// of its own.
#pragma once

#include <roaring/roaring.hh>

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>

#include "nadb/backend_facets.hpp"

namespace nadb::index {

class TagIndex;

// Counts the changes of a namespace: the cache's invalidation signal. Used alone when
// indexing is disabled (queries then scan), and as the base of TagIndex.
class WriteCounter : public IndexSink {
 public:
  // The tag postings, when this is a TagIndex (nullptr: queries scan the keys).
  virtual const TagIndex* tag_index() const { return nullptr; }
  void on_change(std::uint32_t, const std::vector<std::string_view>*,
                 const std::vector<std::string_view>*) override {
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }
  void on_added(const std::vector<std::string_view>&, std::span<const std::uint32_t>) override {
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }
  void clear() override { generation_.fetch_add(1, std::memory_order_acq_rel); }
  std::uint64_t write_generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  std::atomic<std::uint64_t> generation_{0};
};

class TagIndex final : public WriteCounter {
 public:
  const TagIndex* tag_index() const override { return this; }
  void on_change(std::uint32_t id, const std::vector<std::string_view>* before,
                 const std::vector<std::string_view>* after) override;
  void on_added(const std::vector<std::string_view>& tags,
                std::span<const std::uint32_t> ids) override;
  void clear() override;

  // The ids having tag (nullptr when none has it).
  const Roaring* postings(std::string_view tag) const;
  // Every live id (expired but unswept ones included).
  const Roaring& all() const { return all_; }
  // Calls fn(tag, ids) for every tag, in tag order.
  void for_each_tag(const std::function<void(const std::string&, const Roaring&)>& fn) const;
  std::size_t tag_count() const { return postings_.size(); }
  // Bytes of the bitmaps and tag strings (measured by CRoaring, not estimated).
  std::size_t memory_bytes() const;
  // Run-length-optimizes and shrinks every bitmap (the backend calls it after a replay).
  void optimize() override;
  // The postings as bytes: a format version, then each tag and its bitmap (CRoaring's
  // portable serialisation), then the live ids. docs/FORMAT.md "KEYDIR".
  std::string save_image() const override;
  // Loads what save_image() wrote; false (left cleared) on anything else. Bumps the write
  // generation, as clear() does.
  bool load_image(std::string_view image) override;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // The postings of tag, created empty if absent.
  Roaring& postings_of(std::string_view tag);

  std::unordered_map<std::string, Roaring, Hash, std::equal_to<>> postings_;
  Roaring all_;
};

}  // namespace nadb::index
