// A namespace's tag index as a keydir image keeps it: the index's own bytes
// (IndexSink::save_image) in the image's body, and in its metadata the changes made since those
// bytes were saved. docs/FORMAT.md "KEYDIR".
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/keydir.hpp"
#include "util/varint.hpp"

namespace nadb::engine {

struct SavedTagIndex {
  std::uint64_t at = 0;  // body offset of the bytes
  std::string bytes;     // empty: none saved (the next open builds the index from the keys)
  // For each id changed since the bytes were saved, its tags then. A copy: a checkpoint runs
  // beside queries, and one building the index drops the open's saved changes.
  std::unordered_map<std::uint32_t, std::optional<std::vector<std::string>>> changes;
  bool from_built_index = false;  // the bytes are the built index's (no changes)

  // What to save of ns's index, to lie at body offset `at`: the index itself once built; else
  // the saved index its open found, if its bytes are intact (damage must never be copied into
  // a new image under fresh checksums), with the changes since; else nothing.
  static SavedTagIndex of(const NamespaceKeys& ns, std::uint64_t at);
  // Appends where the bytes lie and the changes to an image's metadata.
  void put(std::string& meta) const;
  // Reads what put wrote into ns.index_image, the bytes in the mapped body (`inside` checks a
  // body range, `body` is where it is mapped, `blocks` verifies it); false when malformed.
  static bool get(util::Reader& in, std::uint32_t id_count,
                  const std::function<bool(std::uint64_t, std::uint64_t)>& inside,
                  std::shared_ptr<const VerifiedBlocks> blocks, const char* body,
                  NamespaceKeys& ns);
};

}  // namespace nadb::engine
