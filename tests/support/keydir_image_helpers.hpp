// Helpers of the keydir image tests: a db's keys of every kind, everything a reader sees of
// it as text, and a tag index that says how it was built.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "index/tag_index.hpp"
#include "support/engine_helpers.hpp"

namespace nadb::testing {

inline const std::string kLong = "a-key-longer-than-fifteen-bytes-";

inline WriteOp put(const std::string& key, const std::string& value,
                   std::vector<std::string> tags = {}, std::int64_t expires_ms = 0) {
  WriteOp op = put_op(key, value);
  op.tags = std::move(tags);
  op.expires_ms = expires_ms;
  return op;
}

// Keys short and long, tagged, expiring, overwritten and deleted, over several segments.
inline void fill(engine::Engine& e, int from, int to) {
  for (int i = from; i < to; ++i) {
    std::string n = std::to_string(i);
    apply(e, {put("k" + n, "v" + n, {"t" + std::to_string(i % 3)}),
              put(kLong + n, std::string(200, 'a' + i % 26), {}, i % 5 == 0 ? 5'000'000 : 0)});
  }
  for (int i = from; i < to; i += 7)
    apply(e, {remove_op("k" + std::to_string(i)), put(kLong + std::to_string(i), "again")});
}

// Everything a reader can see of the engine, as text.
inline std::string contents(engine::Engine& e) {
  std::string out;
  KeyPage page = e.scan("ns", "", "", 1'000'000, 1'000'000);
  for (const auto& key : page.keys) {
    auto record = e.get("ns", key, 1'000'000, true);
    out += key + "=" + (record ? record->value.substr(0, 8) : "?") + " v" +
           std::to_string(record->meta.version) + " x" + std::to_string(record->meta.expires_ms);
    for (const auto& tag : record->meta.tags)
      out += " #" + tag;
    out += "\n";
  }
  out += "count " + std::to_string(e.count("ns", 1'000'000));
  e.read_index("ns", [&](const KeyIdReader& reader) {
    reader.for_each_expired(6'000'000,
                            [&](std::uint32_t id) { out += " x:" + std::string(reader.key(id)); });
  });
  return out;
}

// A tag index that says how it was built: from a saved image, or told of every key.
class RecordingIndex final : public IndexSink {
 public:
  explicit RecordingIndex(bool take_images = true) : take_images_(take_images) {}
  void on_change(std::uint32_t id, const std::vector<std::string_view>* before,
                 const std::vector<std::string_view>* after) override {
    inner_.on_change(id, before, after);
  }
  void on_added(const std::vector<std::string_view>& tags,
                std::span<const std::uint32_t> ids) override {
    keys_told_ += ids.size();
    inner_.on_added(tags, ids);
  }
  void clear() override { inner_.clear(); }
  std::string save_image() const override { return inner_.save_image(); }
  bool load_image(std::string_view image) override {
    if (!take_images_) return IndexSink::load_image(image);
    ++images_loaded_;
    return inner_.load_image(image);
  }
  // Tag -> the keys the postings name, and "*" -> every id's key.
  std::map<std::string, std::set<std::string>> postings(const KeyIdReader& reader) const {
    std::map<std::string, std::set<std::string>> out;
    inner_.for_each_tag([&](const std::string& tag, const Roaring& ids) {
      for (std::uint32_t id : ids)
        out[tag].insert(std::string(reader.key(id)));
    });
    for (std::uint32_t id : inner_.all())
      out["*"].insert(std::string(reader.key(id)));
    return out;
  }
  int images_loaded_ = 0;
  std::size_t keys_told_ = 0;

 private:
  bool take_images_;
  index::TagIndex inner_;
};

// What the index of e's namespace "ns" holds, built through `index` (attached now).
inline std::map<std::string, std::set<std::string>> indexed(
    engine::Engine& e, const std::shared_ptr<RecordingIndex>& index, bool rebuild = false) {
  e.attach_index("ns", index, rebuild);
  std::map<std::string, std::set<std::string>> out;
  e.read_index("ns", [&](const KeyIdReader& reader) { out = index->postings(reader); });
  return out;
}

// What the index must hold: every live key under each of its tags, and under "*".
inline std::map<std::string, std::set<std::string>> truth(engine::Engine& e) {
  std::map<std::string, std::set<std::string>> out;
  for (const auto& key : e.scan("ns", "", "", 1'000'000, 0).keys) {
    out["*"].insert(key);
    std::optional<StoredRecord> record = e.get("ns", key, 0, true);
    for (const auto& tag : record->meta.tags)
      out[tag].insert(key);
  }
  return out;
}

}  // namespace nadb::testing
