// PendingWrite: the records of one mutation, encoded back to back (framed as one batch record
// when there are several), with where each lands relative to the start. The engine keeps one
// and reuses it under its write lock, so a write allocates nothing here in the steady state.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/record.hpp"
#include "engine/segment.hpp"

namespace nadb::engine {

class PendingWrite {
 public:
  // Forgets the previous write (keeping capacity, unless it grew large).
  void reset() {
    constexpr std::size_t kKeep = 4 << 20;
    if (body_.capacity() > kKeep) body_ = std::string();
    if (framed_.capacity() > kKeep) framed_ = std::string();
    body_.clear();
    framed_.clear();
    owned_.clear();
    count_ = 0;
  }
  // The fields of the next record, cleared; fill them in, then call add().
  RecordFields& next() {
    if (count_ == records_.size()) records_.emplace_back();
    RecordFields& f = records_[count_].fields;
    std::vector<std::string_view> tags = std::move(f.tags);
    f = RecordFields{};
    tags.clear();
    f.tags = std::move(tags);
    return f;
  }
  // Encodes the record whose fields next() returned.
  void add() {
    LocatedRecord& r = records_[count_++];
    std::size_t start = body_.size();
    encode_record(body_, r.fields);
    r.offset = static_cast<std::uint32_t>(start);
    r.size = static_cast<std::uint32_t>(body_.size() - start);
    r.value_size = r.fields.value.size();
  }
  // Keeps a copy of bytes alive until reset() (for views in fields).
  std::string_view own(std::string_view bytes) {
    return *owned_.emplace_back(std::make_unique<std::string>(bytes));
  }
  bool empty() const { return count_ == 0; }
  std::size_t size() const { return count_; }

  // The bytes to append; record offsets become relative to them.
  std::string_view finish() {
    if (count_ == 1) return body_;
    std::size_t start = begin_batch(framed_);
    framed_.append(body_);
    end_batch(framed_, start);
    for (auto& r : records())
      r.offset += static_cast<std::uint32_t>(kRecordHeaderSize);
    return framed_;
  }
  std::span<LocatedRecord> records() { return {records_.data(), count_}; }

 private:
  std::string body_;
  std::string framed_;
  std::vector<LocatedRecord> records_;  // the first count_ are this write's
  std::size_t count_ = 0;
  std::vector<std::unique_ptr<std::string>> owned_;
};

}  // namespace nadb::engine
