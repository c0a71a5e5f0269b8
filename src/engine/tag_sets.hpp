// TagSets: interned, reference-counted tag sets. Keys store a 4-byte set id instead of their
// tags: most applications use few distinct combinations, so each is kept once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "util/varint.hpp"

namespace nadb::engine {

// Not thread-safe: the owner's lock guards it.
class TagSets {
 public:
  static constexpr std::uint32_t kEmpty = 0;  // the empty set; never released

  TagSets();
  // The id of this sorted, duplicate-free set, adding a reference.
  std::uint32_t acquire(const std::vector<std::string_view>& tags);
  // Drops one reference; the set is forgotten when none is left.
  void release(std::uint32_t id);
  const std::vector<std::string>& tags(std::uint32_t id) const { return sets_[id].tags; }
  // Every id in use is below this.
  std::uint32_t id_limit() const { return static_cast<std::uint32_t>(sets_.size()); }
  std::size_t size() const { return lookup_.size(); }
  std::size_t memory_bytes() const;
  // Keydir images: the sets, their ids and reference counts. decode fills a TagSets that was
  // just constructed; false (its content then unspecified) when the bytes are malformed.
  void encode(std::string& out) const;
  bool decode(util::Reader& in);

 private:
  struct Set {
    std::vector<std::string> tags;
    std::string encoded;  // lookup key
    std::uint64_t references = 0;
  };
  std::vector<Set> sets_;
  std::vector<std::uint32_t> free_ids_;
  struct EncodedHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view encoded) const;
  };
  std::unordered_map<std::string, std::uint32_t, EncodedHash, std::equal_to<>> lookup_;
};

}  // namespace nadb::engine
