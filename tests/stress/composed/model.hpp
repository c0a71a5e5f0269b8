// The model of the composed test: what every key of every namespace of a db must hold.
// A key's model is a list of candidates: one normally, more after an operation whose effect
// on that key could not be predicted (a write in flight when the process was killed, an entry
// at its expiry instant while a bulk copy decided whether it was still live). The next check
// reads the key and keeps the candidate it matches.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace nadb::testing::composed {

using Millis = std::int64_t;

inline Millis wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The store disagreed with the model: the run stops and prints its trace.
struct Mismatch : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// An instant known only to lie between start and end (both wall-clock ms).
struct Window {
  Millis start = 0;
  Millis end = 0;
};

struct Item {
  std::shared_ptr<const std::string> value;  // shared: backups and exports copy models
  std::vector<std::string> tags;             // sorted, no duplicates
  Millis expires_ms = 0;                     // 0: never
  std::uint64_t version = 0;                 // 0: not known yet (learned by the next read)

  bool live_at(Millis t) const { return expires_ms == 0 || expires_ms > t; }
  bool expired_before(Millis t) const { return expires_ms != 0 && expires_ms <= t; }
  bool same_content(const Item& o) const {
    return *value == *o.value && tags == o.tags && expires_ms == o.expires_ms;
  }
};

using Candidate = std::optional<Item>;  // nullopt: the key is absent
using KeyModel = std::vector<Candidate>;
// key -> what it may hold; a key missing from the map is certainly absent.
using NamespaceModel = std::map<std::string, KeyModel>;

struct DbModel {
  std::map<std::string, NamespaceModel> namespaces;

  void set(const std::string& ns, const std::string& key, Item item) {
    namespaces[ns][key] = {std::move(item)};
  }
  void erase(const std::string& ns, const std::string& key) { namespaces[ns].erase(key); }
  // The key's candidates ({nullopt} when certainly absent).
  KeyModel candidates(const std::string& ns, const std::string& key) const {
    auto n = namespaces.find(ns);
    if (n == namespaces.end()) return {std::nullopt};
    auto k = n->second.find(key);
    return k == n->second.end() ? KeyModel{std::nullopt} : k->second;
  }
  void set_candidates(const std::string& ns, const std::string& key, KeyModel c) {
    if (c.size() == 1 && !c[0]) {
      erase(ns, key);
    } else {
      namespaces[ns][key] = std::move(c);
    }
  }
  // The single item the key certainly holds and that is certainly live through w, else null.
  const Item* certain_live(const std::string& ns, const std::string& key, Window w) const {
    auto n = namespaces.find(ns);
    if (n == namespaces.end()) return nullptr;
    auto k = n->second.find(key);
    if (k == n->second.end() || k->second.size() != 1 || !k->second[0]) return nullptr;
    return k->second[0]->live_at(w.end) ? &*k->second[0] : nullptr;
  }
  // Whether the key is certainly not live during w.
  bool certainly_absent(const std::string& ns, const std::string& key, Window w) const {
    for (const auto& c : candidates(ns, key)) {
      if (c && !c->expired_before(w.start)) return false;
    }
    return true;
  }
  // What a key holding `current` may hold after `source` (the candidates of the entry copied
  // onto it) was copied at some instant of w with "skip what has expired" semantics (import,
  // sync, merge restore): a live entry replaces the key, an expired one leaves it as it was.
  static KeyModel merged(const KeyModel& current, const KeyModel& source, Window w) {
    KeyModel out;
    auto add = [&out](const KeyModel& c) { out.insert(out.end(), c.begin(), c.end()); };
    for (const auto& s : source) {
      if (!s || s->expired_before(w.start)) {
        add(current);
        continue;
      }
      Item copy = *s;
      copy.version = 0;  // a copy is a new write
      out.push_back(copy);
      if (!copy.live_at(w.end)) add(current);  // expired during the copy: maybe skipped
    }
    return out;
  }
  void merge(const std::string& ns, const std::string& key, const KeyModel& source, Window w) {
    set_candidates(ns, key, merged(candidates(ns, key), source, w));
  }
};

// Every version a namespace ever showed, with what it denoted: the same version must never
// denote another write.
class VersionRegistry {
 public:
  // An operation begins: the versions of its writes must exceed every version seen so far.
  void begin_operation() { floor_ = highest_; }
  // A write of the current operation: its version must exceed every version seen before it.
  void observe_new(const std::string& ns, const std::string& key, const Item& item) {
    if (item.version <= floor_[ns]) {
      throw Mismatch("a new write of " + printable(key) + " got version " +
                     std::to_string(item.version) + ", not above the " +
                     std::to_string(floor_[ns]) + " seen before in namespace " + ns);
    }
    observe(ns, key, item);
  }
  void observe(const std::string& ns, const std::string& key, const Item& item) {
    std::string content = key + '\0' + *item.value + '\0' + std::to_string(item.expires_ms);
    for (const auto& t : item.tags)
      content += '\0' + t;
    highest_[ns] = std::max(highest_[ns], item.version);
    auto [it, fresh] = seen_[ns].emplace(item.version, content);
    if (!fresh && it->second != content) {
      std::ostringstream out;
      out << "version " << item.version << " of namespace " << ns
          << " is reused: it now denotes another write (key " << printable(key) << ")";
      throw Mismatch(out.str());
    }
  }
  static std::string printable(const std::string& bytes) {
    std::string out;
    for (unsigned char c : bytes.substr(0, 40)) {
      if (c >= 32 && c < 127) {
        out += static_cast<char>(c);
      } else {
        char hex[5];
        std::snprintf(hex, sizeof hex, "\\x%02x", c);
        out += hex;
      }
    }
    if (bytes.size() > 40) out += "...(" + std::to_string(bytes.size()) + " bytes)";
    return out;
  }

 private:
  std::map<std::string, std::map<std::uint64_t, std::string>> seen_;
  std::map<std::string, std::uint64_t> highest_;
  std::map<std::string, std::uint64_t> floor_;  // highest_ when the operation began
};

}  // namespace nadb::testing::composed
