#include "engine/keydir_loader.hpp"

#include <algorithm>

namespace nadb::engine {

void KeydirLoader::operator()(const LocatedRecord& r) {
  max_seq_ = std::max(max_seq_, r.fields.seq);
  ++records_;
  bool is_put = r.fields.type == RecordType::Put;
  std::uint64_t floor = 0;  // the newest delete of this key seen so far
  std::string id;           // built only when deletes are involved (most records are puts)
  if (!is_put || !deleted_.empty()) {
    id = std::string(r.fields.ns) + '\0' + std::string(r.fields.key);
    if (auto it = deleted_.find(id); it != deleted_.end()) floor = it->second;
  }
  if (!keydir_.install_if_newer(r, floor)) {
    if (is_put) {
      keydir_.add_dead_bytes(r.segment, r.size);
    } else {
      keydir_.add_tombstone_bytes(r.segment, r.size);
    }
    return;
  }
  if (!is_put) deleted_[id] = r.fields.seq;
}

}  // namespace nadb::engine
