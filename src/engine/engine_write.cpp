// The engine's write path: every mutation is a batch of records appended under the write lock
// and installed in the keydir under the state lock, then made durable as asked.
#include <fcntl.h>

#include <algorithm>
#include <memory>
#include <unordered_map>

#include "engine/engine.hpp"
#include "nadb/errors.hpp"
#include "util/files.hpp"

namespace nadb::engine {

// The records of one mutation, encoded back to back (framed as a batch when more than one),
// with where each lands relative to the start.
class Engine::PendingWrite {
 public:
  void add(const RecordFields& fields) {
    std::size_t start = body_.size();
    encode_record(body_, fields);
    LocatedRecord r;
    r.offset = static_cast<std::uint32_t>(start);
    r.size = static_cast<std::uint32_t>(body_.size() - start);
    r.value_size = fields.value.size();
    r.fields = fields;
    records_.push_back(std::move(r));
  }
  // Keeps a copy of bytes alive for the lifetime of this write (for views in fields).
  std::string_view own(std::string_view bytes) {
    return *owned_.emplace_back(std::make_unique<std::string>(bytes));
  }
  bool empty() const { return records_.empty(); }
  std::size_t size() const { return records_.size(); }

  // The bytes to append; record offsets become relative to them.
  std::string_view finish() {
    if (records_.size() == 1) return body_;
    framed_.reserve(body_.size() + kRecordHeaderSize);
    std::size_t start = begin_batch(framed_);
    framed_.append(body_);
    end_batch(framed_, start);
    for (auto& r : records_)
      r.offset += static_cast<std::uint32_t>(kRecordHeaderSize);
    return framed_;
  }
  std::vector<LocatedRecord>& records() { return records_; }

 private:
  std::string body_;
  std::string framed_;
  std::vector<LocatedRecord> records_;
  std::vector<std::unique_ptr<std::string>> owned_;
};

std::shared_ptr<SegmentFile> Engine::create_segment(std::uint32_t id) {
  auto segment = std::make_shared<SegmentFile>();
  segment->id = id;
  segment->file =
      util::File(util::join_path(dir_, segment_file_name(id)), O_RDWR | O_CREAT | O_EXCL);
  segment->file.write_at(0, segment_header(id));
  segment->file.sync();
  util::sync_directory(dir_);
  segment->mapping = util::Mapping(segment->file, options_.segment_bytes);
  return segment;
}

void Engine::roll_locked() {
  std::uint32_t old_id = writer_.active_id();
  std::uint64_t sealed_size = writer_.seal();
  std::uint32_t new_id = next_segment_id_++;
  auto segment = create_segment(new_id);
  {
    std::unique_lock lock(state_mutex_);
    segments_[old_id].size = sealed_size;
    segments_[new_id] = SegmentInfo{segment, kSegmentHeaderSize, false};
  }
  writer_.activate(segment, kSegmentHeaderSize);
  {
    std::lock_guard lock(maintenance_mutex_);
    hints_due_.push_back(old_id);
  }
  maintenance_cv_.notify_all();
}

std::uint64_t Engine::commit_locked(PendingWrite& write) {
  std::string_view bytes = write.finish();
  if (bytes.size() > kMaxPayloadSize) {
    throw InvalidArgument("batch too large: " + std::to_string(bytes.size()) + " bytes encoded");
  }
  std::uint64_t end = writer_.end_offset();
  if (end > kSegmentHeaderSize && end + bytes.size() > options_.segment_bytes) {
    roll_locked();
    end = writer_.end_offset();
  }
  std::uint32_t segment = writer_.active_id();
  std::uint64_t position = writer_.append(bytes);
  std::unique_lock lock(state_mutex_);
  for (auto& r : write.records()) {
    r.segment = segment;
    r.offset += static_cast<std::uint32_t>(end);
    keydir_.install(r);
  }
  return position;
}

BatchResult Engine::apply(const WriteBatch& batch) {
  std::unique_lock write_lock(write_mutex_);
  return apply_locked(batch, write_lock);
}

BatchResult Engine::apply_locked(const WriteBatch& batch,
                                 std::unique_lock<std::mutex>& write_lock) {
  writer_.check_healthy();
  BatchResult result;
  result.existed.resize(batch.ops.size());
  result.versions.resize(batch.ops.size());
  // Only writers change the keydir and this thread is the writer: no state lock needed to read.
  std::vector<const KeyEntry*> current(batch.ops.size());
  for (std::size_t i = 0; i < batch.ops.size(); ++i) {
    const WriteOp& op = batch.ops[i];
    current[i] = keydir_.lookup_live(op.ns, op.key, batch.now_ms);
    result.existed[i] = current[i] != nullptr;
    bool holds = op.condition == WriteOp::Condition::None ||
                 (op.condition == WriteOp::Condition::Absent && !current[i]) ||
                 (op.condition == WriteOp::Condition::Version && current[i] &&
                  current[i]->version == op.expected_version);
    if (!holds) {
      result.applied = false;
      result.failed_op = i;
      return result;
    }
  }
  // Keys written earlier in this batch: whether they are live after those writes.
  std::unordered_map<std::string, bool> written;
  auto live_before = [&](std::size_t i) {
    if (written.empty()) return current[i] != nullptr;
    auto it = written.find(std::string(batch.ops[i].ns) + '\0' + batch.ops[i].key);
    return it == written.end() ? current[i] != nullptr : it->second;
  };
  PendingWrite write;
  for (std::size_t i = 0; i < batch.ops.size(); ++i) {
    const WriteOp& op = batch.ops[i];
    const KeyEntry* entry = current[i];
    bool live = live_before(i);
    RecordFields fields;
    fields.ns = op.ns;
    fields.key = op.key;
    switch (op.kind) {
      case WriteOp::Kind::Check:
        continue;
      case WriteOp::Kind::Remove:
        if (!live) continue;
        fields.type = RecordType::Delete;
        break;
      case WriteOp::Kind::Put:
        fields.value = op.value;
        fields.codec = op.codec;
        fields.raw_size = op.raw_size;
        fields.expires_ms = op.expires_ms;
        fields.tags.assign(op.tags.begin(), op.tags.end());
        fields.created_ms = live && entry ? entry->created_ms : batch.now_ms;
        break;
      case WriteOp::Kind::Expire: {
        if (!written.empty() && written.count(std::string(op.ns) + '\0' + op.key)) {
          throw InvalidArgument("a batch cannot change the expiry of a key it also writes");
        }
        if (!entry) continue;
        std::shared_lock state_lock(state_mutex_);
        RecordBytes record = read_record(*entry, state_lock);
        if (!decode_record(record.bytes, fields))
          throw Corruption("record of an expiring key fails its checksum in '" + dir_ + "'");
        fields.value = write.own(fields.value);
        for (auto& tag : fields.tags)
          tag = write.own(tag);
        fields.ns = op.ns;
        fields.key = op.key;
        fields.expires_ms = op.expires_ms;
        break;
      }
    }
    fields.seq = next_seq_++;
    fields.updated_ms = batch.now_ms;
    if (fields.type == RecordType::Put && fields.created_ms > fields.updated_ms) {
      fields.created_ms = fields.updated_ms;  // the clock went back; keep created <= updated
    }
    result.versions[i] = fields.seq;
    if (batch.ops.size() > 1)
      written[std::string(op.ns) + '\0' + op.key] = fields.type == RecordType::Put;
    write.add(fields);
  }
  if (write.empty()) return result;
  std::uint64_t position = commit_locked(write);
  write_lock.unlock();
  if (batch.sync || writer_.buffer_full()) writer_.sync_to(position);
  return result;
}

std::size_t Engine::remove_keys_locked(std::string_view ns_name, std::int64_t now_ms,
                                       bool only_expired, bool sync,
                                       std::unique_lock<std::mutex>& write_lock) {
  writer_.check_healthy();
  const NamespaceKeys* ns = keydir_.find(ns_name);
  if (ns == nullptr) return 0;
  PendingWrite write;
  std::size_t live = 0;
  auto add_delete = [&](const KeyEntry& e) {
    RecordFields fields;
    fields.type = RecordType::Delete;
    fields.seq = next_seq_++;
    fields.ns = write.own(ns_name);
    fields.key = write.own(e.key.view());
    write.add(fields);
    if (!e.expired_at(now_ms)) ++live;
  };
  if (only_expired) {
    for (const auto& [expires, id] : ns->expiry) {
      if (expires > now_ms) break;
      add_delete(ns->keys.at(id));
    }
  } else {
    ns->keys.for_each([&](std::uint32_t, const KeyEntry& e) { add_delete(e); });
  }
  std::size_t removed = write.size();
  if (write.empty()) return 0;
  std::uint64_t position = commit_locked(write);
  write_lock.unlock();
  if (sync || writer_.buffer_full()) writer_.sync_to(position);
  return only_expired ? removed : live;
}

std::size_t Engine::remove_expired(std::string_view ns, std::int64_t now_ms, bool sync) {
  std::unique_lock write_lock(write_mutex_);
  return remove_keys_locked(ns, now_ms, true, sync, write_lock);
}

std::size_t Engine::clear(std::string_view ns, std::int64_t now_ms, bool sync) {
  std::unique_lock write_lock(write_mutex_);
  return remove_keys_locked(ns, now_ms, false, sync, write_lock);
}

}  // namespace nadb::engine
