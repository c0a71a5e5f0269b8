// NamespaceReader: the KeyIdReader of one namespace of the keydir, used by indexes and query
// evaluation while the engine's state lock is held shared.
#pragma once

#include "engine/keydir.hpp"
#include "nadb/backend.hpp"

namespace nadb::engine {

class NamespaceReader final : public KeyIdReader {
 public:
  NamespaceReader(const NamespaceKeys& ns, const TagSets& tag_sets)
      : ns_(ns), tag_sets_(tag_sets) {}

  std::string_view key(std::uint32_t id) const override { return ns_.keys.at(id).key.view(); }
  KeyFacts facts(std::uint32_t id) const override {
    const KeyEntry& e = ns_.keys.at(id);
    return KeyFacts{e.raw_size, e.created_ms, e.updated_ms, e.expires_ms};
  }
  std::vector<std::string_view> tags(std::uint32_t id) const override {
    return tag_sets_.tags(ns_.keys.at(id).tag_set);
  }
  std::optional<std::uint32_t> find(std::string_view key) const override {
    std::uint32_t id = ns_.keys.find(key);
    return id == KeyTable::kNoId ? std::nullopt : std::optional(id);
  }
  void for_each(const std::function<void(std::uint32_t)>& fn) const override {
    ns_.keys.for_each([&](std::uint32_t id, const KeyEntry&) { fn(id); });
  }
  void for_each_prefixed(std::string_view prefix,
                         const std::function<bool(std::uint32_t)>& fn) const override {
    ns_.keys.visit_ordered(prefix, {}, [&](std::uint32_t id, const KeyEntry&) { return fn(id); });
  }
  void for_each_expired(std::int64_t now_ms,
                        const std::function<void(std::uint32_t)>& fn) const override {
    ns_.expiry.for_each_expired(now_ms, fn);
  }
  std::int64_t next_expiry_after(std::int64_t now_ms) const override {
    return ns_.expiry.next_after(now_ms);
  }

 private:
  const NamespaceKeys& ns_;
  const TagSets& tag_sets_;
};

}  // namespace nadb::engine
