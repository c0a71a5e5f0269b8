// ExpirySchedule: the keys of one namespace that expire, by instant. The one expiry walk of
// the engine and the memory backend: what expired by now, how many, and when the next expires.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <utility>

namespace nadb::engine {

class ExpirySchedule {
 public:
  // Key id expires at expires_ms (0: never, and nothing is recorded).
  void add(std::int64_t expires_ms, std::uint32_t id) {
    if (expires_ms != 0) schedule_.emplace(expires_ms, id);
  }
  void remove(std::int64_t expires_ms, std::uint32_t id) {
    if (expires_ms != 0) schedule_.erase({expires_ms, id});
  }
  // Calls fn(id) for every key expired at now_ms (expiry at or before it), earliest first.
  // fn may not change the schedule.
  template <class Fn>
  void for_each_expired(std::int64_t now_ms, Fn&& fn) const {
    for (auto it = schedule_.begin(); it != schedule_.end() && it->first <= now_ms; ++it)
      fn(it->second);
  }
  // How many keys have expired at now_ms (walks only the expired part).
  std::size_t expired_count(std::int64_t now_ms) const {
    std::size_t n = 0;
    for_each_expired(now_ms, [&](std::uint32_t) { ++n; });
    return n;
  }
  // The first expiry instant after now_ms, or 0 if no key expires later.
  std::int64_t next_after(std::int64_t now_ms) const {
    auto it = schedule_.upper_bound({now_ms, UINT32_MAX});
    return it == schedule_.end() ? 0 : it->first;
  }
  // Calls fn(expires_ms, id) for every entry, earliest first (keydir images).
  template <class Fn>
  void for_each(Fn&& fn) const {
    for (const auto& [expires_ms, id] : schedule_)
      fn(expires_ms, id);
  }
  // Adds an entry after every present one (a keydir image's, in order): constant time.
  void append(std::int64_t expires_ms, std::uint32_t id) {
    schedule_.emplace_hint(schedule_.end(), expires_ms, id);
  }
  std::size_t size() const { return schedule_.size(); }
  // Heap bytes, as an estimate (a red-black tree node per key).
  std::size_t memory_bytes() const { return schedule_.size() * 48; }

 private:
  std::set<std::pair<std::int64_t, std::uint32_t>> schedule_;  // (expires_ms, key id)
};

}  // namespace nadb::engine
