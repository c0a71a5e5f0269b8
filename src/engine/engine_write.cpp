// The engine's write path: every mutation is a batch of records appended under the write lock
// and installed in the keydir under the state lock, then made durable as asked.
#include <fcntl.h>

#include <algorithm>
#include <memory>

#include "engine/engine.hpp"
#include "nadb/errors.hpp"
#include "obs/log.hpp"
#include "util/files.hpp"

namespace nadb::engine {

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

std::uint64_t Engine::take_seq_locked() {
  write_mutex_.assert_held();
  constexpr std::uint64_t kLease = 1 << 20;
  if (next_seq_ >= marks_.seq_limit) {
    HighWater marks = marks_;
    marks.seq_limit = next_seq_ + kLease;
    write_high_water(dir_, marks);
    marks_ = marks;
  }
  return next_seq_++;
}

std::uint32_t Engine::take_segment_id_locked() {
  constexpr std::uint32_t kLease = 16;
  if (next_segment_id_ >= marks_.segment_id_limit) {
    HighWater marks = marks_;
    marks.segment_id_limit = next_segment_id_ + kLease;
    write_high_water(dir_, marks);
    marks_ = marks;
  }
  return next_segment_id_++;
}

void Engine::roll_locked() {
  std::uint32_t old_id = writer_.active_id();
  std::uint64_t sealed_size = writer_.seal();
  std::uint32_t new_id = 0;
  std::shared_ptr<SegmentFile> segment;
  try {
    new_id = take_segment_id_locked();
    segment = create_segment(new_id);
  } catch (const std::exception& e) {
    // Half-created segments are what recovery expects of the newest file, not of a middle one:
    // no later segment may be written before a reopen.
    writer_.fail(e);
  }
  {
    util::WriterLock lock(state_mutex_);
    segments_[old_id].size = sealed_size;
    segments_[new_id] = SegmentInfo{segment, kSegmentHeaderSize, false};
  }
  writer_.activate(segment, kSegmentHeaderSize);
  obs::logger(obs::Component::Engine)
      .debug("segment sealed", {{"dir", dir_}, {"segment", old_id}, {"bytes", sealed_size}});
  {
    util::MutexLock lock(maintenance_mutex_);
    hints_due_.push_back(old_id);
  }
  maintenance_cv_.notify_all();
}

SegmentWriter::Appended Engine::commit_locked() {
  std::string_view bytes = pending_.finish();
  if (bytes.size() > kMaxPayloadSize) {
    throw InvalidArgument("batch too large: " + std::to_string(bytes.size()) + " bytes encoded");
  }
  std::uint64_t end = writer_.end_offset();
  if (end > kSegmentHeaderSize && end + bytes.size() > options_.segment_bytes) roll_locked();
  SegmentWriter::Appended appended = writer_.append(bytes);
  records_since_image_ += pending_.records().size();
  util::WriterLock lock(state_mutex_);
  for (auto& r : pending_.records()) {
    r.segment = appended.segment;
    r.offset += static_cast<std::uint32_t>(appended.offset);
    keydir_.install(r);
  }
  return appended;
}

BatchResult Engine::apply(const WriteBatch& batch) {
  check_writable("a write");
  check_batch_rules(batch, capabilities_.max_batch_bytes);
  BatchResult result;
  std::optional<SegmentWriter::Appended> appended;
  {
    WriteLockWaiter waiting(write_waiters_);
    util::MutexLock write_lock(write_mutex_);
    result = is_namespace_wide(batch) ? remove_keys_locked(batch, appended)
                                      : apply_locked(batch, appended);
    if (options_.keydir_memory_bytes != 0 && appended &&
        (writes_since_memory_check_ += static_cast<std::uint32_t>(batch.ops.size())) >=
            memory_check_writes_) {
      writes_since_memory_check_ = 0;
      memory_check_due_.store(true);
      maintenance_cv_.notify_all();
    }
  }
  // Durable as asked, after the write lock: the next writer appends meanwhile (group commit).
  if (appended && (batch.sync || appended->buffer_full)) writer_.sync_to(appended->position);
  // The first append since the maintenance thread last considered a checkpoint wakes it, to
  // watch for the pause one waits for (a load per write otherwise).
  if (appended && !appends_noticed_.load(std::memory_order_relaxed) &&
      !appends_noticed_.exchange(true)) {
    maintenance_cv_.notify_all();
  }
  return result;
}

BatchResult Engine::apply_locked(const WriteBatch& batch,
                                 std::optional<SegmentWriter::Appended>& appended) {
  writer_.check_healthy();
  const Keydir& keydir = keydir_of_writer();
  current_.resize(batch.ops.size());
  const KeyEntry** current = current_.data();
  std::vector<PlannedWrite>& writes = planned_;
  BatchResult result = plan_batch(
      batch,
      [&](std::size_t i) {
        current[i] = keydir.lookup_live(batch.ops[i].ns, batch.ops[i].key, batch.now_ms);
        return current[i] ? std::optional(current[i]->version) : std::nullopt;
      },
      writes);
  if (writes.empty()) return result;
  pending_.reset();
  for (const PlannedWrite& write : writes) {
    const WriteOp& op = batch.ops[write.op];
    const KeyEntry* entry = current_[write.op];
    RecordFields& fields = pending_.next();
    switch (write.effect) {
      case PlannedWrite::Effect::Remove:
        fields.type = RecordType::Delete;
        break;
      case PlannedWrite::Effect::Put:
        fields.value = op.value;
        fields.codec = op.codec;
        fields.raw_size = op.raw_size;
        fields.expires_ms = op.expires_ms;
        fields.tags.assign(op.tags.begin(), op.tags.end());
        fields.created_ms = write.keeps_created ? entry->created_ms : batch.now_ms;
        break;
      case PlannedWrite::Effect::Expire:  // rewrite the current record with the new expiry
        read_current(*entry, fields);
        fields.expires_ms = op.expires_ms;
        break;
    }
    fields.ns = op.ns;
    fields.key = op.key;
    fields.seq = take_seq_locked();
    fields.updated_ms = batch.now_ms;
    if (fields.type == RecordType::Put && fields.created_ms > fields.updated_ms) {
      fields.created_ms = fields.updated_ms;  // the clock went back; keep created <= updated
    }
    result.ops[write.op].version = fields.seq;
    pending_.add();
  }
  appended = commit_locked();
  return result;
}

void Engine::read_current(const KeyEntry& entry, RecordFields& fields) {
  util::ReaderLock state_lock(state_mutex_);
  RecordBytes record = locate_record(entry);
  state_lock.unlock();
  read_located(record);
  // A record still in the write buffer is in the active segment's format (this build's).
  std::uint32_t format = record.segment ? record.segment->format : kFormatVersion;
  if (!decode_record(record.bytes, fields, format)) {
    throw Corruption("the current record of a key being rewritten fails its checksum in '" + dir_ +
                     "'");
  }
  fields.value = pending_.own(fields.value);
  for (auto& tag : fields.tags)
    tag = pending_.own(tag);
}

BatchResult Engine::remove_keys_locked(const WriteBatch& batch,
                                       std::optional<SegmentWriter::Appended>& appended) {
  writer_.check_healthy();
  const WriteOp& op = batch.ops[0];
  const bool only_expired = op.kind == WriteOp::Kind::RemoveExpired;
  BatchResult result;
  result.ops.resize(1);
  const NamespaceKeys* ns = keydir_of_writer().find(op.ns);
  if (ns == nullptr) return result;
  std::vector<const KeyEntry*> doomed;
  if (only_expired) {
    ns->expiry.for_each_expired(batch.now_ms,
                                [&](std::uint32_t id) { doomed.push_back(&ns->keys.at(id)); });
  } else {
    ns->keys.for_each([&](std::uint32_t, const KeyEntry& e) { doomed.push_back(&e); });
  }
  pending_.reset();
  std::size_t live = 0;
  for (const KeyEntry* e : doomed) {
    RecordFields& fields = pending_.next();
    fields.type = RecordType::Delete;
    fields.seq = take_seq_locked();
    fields.ns = pending_.own(op.ns);
    fields.key = pending_.own(e->key.view());
    pending_.add();
    if (!e->expired_at(batch.now_ms)) ++live;
  }
  result.ops[0].removed = only_expired ? pending_.size() : live;
  if (!pending_.empty()) appended = commit_locked();
  return result;
}

}  // namespace nadb::engine
