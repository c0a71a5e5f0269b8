// TagSets: interned, reference-counted tag sets. Keys store a 4-byte set id instead of their
// tags: most applications use few distinct combinations, so each is kept once. The sets are a
// KeyTable whose keys are the sets encoded (each tag length-prefixed), so a keydir image
// holds and maps them as it does a namespace's keys: an open decodes none of them, and a db
// whose every key has a tag of its own (an owner's id) needs no heap per set.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "engine/key_table.hpp"

namespace nadb::engine {

// Not thread-safe: the owner's lock guards it (const members may run in several readers at
// once while no writer runs).
class TagSets {
 public:
  static constexpr std::uint32_t kEmpty = 0;  // the empty set; never released

  TagSets();
  // The id of this sorted, duplicate-free set, adding a reference.
  std::uint32_t acquire(const std::vector<std::string_view>& tags);
  // Drops one reference; the set is forgotten when none is left.
  void release(std::uint32_t id);
  // The set's tags, in order. They point into the table: valid until the set is released.
  std::vector<std::string_view> tags(std::uint32_t id) const;
  // Every id in use is below this.
  std::uint32_t id_limit() const { return std::max<std::uint32_t>(table_->id_limit(), 1); }
  // The sets held, the empty one not counted (it is in the table once any other was).
  std::size_t size() const { return table_->size() == 0 ? 0 : table_->size() - 1; }
  std::size_t memory_bytes() const { return table_->memory_bytes(); }

  // Keydir images: the table as written and mapped. adopt replaces the sets by a table that
  // lies in a mapped image (KeyTable::adopt), whose id 0, if it has ids, is the empty set (as
  // every table's is).
  const KeyTable& table() const { return *table_; }
  void adopt(std::unique_ptr<KeyTable> table);

 private:
  // An entry's version counts the references to its set (the entries' other fields are unused).
  std::unique_ptr<KeyTable> table_;
};

}  // namespace nadb::engine
