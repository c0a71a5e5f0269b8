// KeydirLoader: builds a keydir from records met in any order (hint files, segment scans),
// as opening a db folder does.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "engine/keydir.hpp"

namespace nadb::engine {

class KeydirLoader {
 public:
  // max_seq: the highest sequence number the keydir holds already (a keydir image's).
  explicit KeydirLoader(Keydir& keydir, std::uint64_t max_seq = 0)
      : keydir_(keydir), max_seq_(max_seq) {}

  // The newest version of a key wins. Deletes are remembered, so that an older put met later
  // (from a segment that compaction wrote) cannot resurrect the key; records that lose are
  // counted as dead (or tombstone) bytes of their segment.
  void operator()(const LocatedRecord& record);
  // The highest sequence number met, and how many records were met.
  std::uint64_t max_seq() const { return max_seq_; }
  std::uint64_t records() const { return records_; }

 private:
  Keydir& keydir_;
  std::unordered_map<std::string, std::uint64_t> deleted_;  // ns NUL key -> delete's seq
  std::uint64_t max_seq_ = 0;
  std::uint64_t records_ = 0;
};

}  // namespace nadb::engine
