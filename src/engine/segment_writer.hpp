// SegmentWriter: appends to the active segment through a write buffer, and makes appended
// bytes durable with group commit (one fsync serves every writer waiting at that moment).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "engine/segment.hpp"
#include "util/thread_annotations.hpp"

namespace nadb::engine {

class SegmentWriter {
 public:
  // write_lock: the engine's write lock, which activate, append and seal assert is held (in
  // debug builds).
  SegmentWriter(std::size_t buffer_limit, const util::Mutex& write_lock)
      : buffer_limit_(buffer_limit), write_lock_(write_lock) {}

  // Makes file (holding `size` valid bytes) the active segment. Caller holds the write lock.
  void activate(SegmentFilePtr file, std::uint64_t size);
  // The active segment's id; 0 before activate().
  std::uint32_t active_id() const;
  // Offset in the active segment where the next append lands.
  std::uint64_t end_offset() const { return end_offset_.load(std::memory_order_relaxed); }

  struct Appended {
    std::uint32_t segment = 0;
    std::uint64_t offset = 0;    // where the bytes start in the segment
    std::uint64_t position = 0;  // log position after them (for sync_to)
    bool buffer_full = false;    // the caller should sync_to(position) now
  };
  // Appends bytes at end_offset() (buffered, or written directly when as large as the
  // buffer). Caller holds the write lock. Throws IOError (and the writer stays
  // failed) if a write fails.
  Appended append(std::string_view bytes);
  // Log position after everything appended so far.
  std::uint64_t appended_position() const;
  // If [offset, offset + n) of segment is still in the buffer, copies it to out and returns
  // true; false means it is in the segment file.
  bool read_buffered(std::uint32_t segment, std::uint64_t offset, std::size_t n,
                     std::string& out) const;
  // Returns once everything up to log position `position` is written and fsynced.
  void sync_to(std::uint64_t position);
  // Writes and fsyncs everything; the caller then activates a new segment. Caller holds the
  // write lock. Returns the sealed segment's size.
  std::uint64_t seal();
  // Throws IOError if an earlier write or fsync failed (the store must be reopened).
  void check_healthy() const;
  // Refuses every later write, as after a failed write (the store must be reopened), and
  // throws error's message as IOError. For failures around the writer, such as creating the
  // next segment.
  [[noreturn]] void fail(const std::exception& error);

  std::uint64_t buffered_bytes() const;
  std::uint64_t writes() const { return writes_.load(std::memory_order_relaxed); }
  std::uint64_t fsyncs() const { return fsyncs_.load(std::memory_order_relaxed); }

 private:
  void write_buffer_locked();
  // Writes the buffer and fsyncs the active file; returns the log position now durable (and
  // the active file's written size through written_size when given).
  std::uint64_t write_and_sync(std::uint64_t* written_size);
  void throw_if_failed_locked() const;
  void publish_locked() {
    published_.store(std::uint64_t{active_->id} << 32 | written_size_, std::memory_order_release);
  }
  [[noreturn]] void fail_locked(const std::exception& error);

  const std::size_t buffer_limit_;
  const util::Mutex& write_lock_;

  // Guarded by buffer_mutex_: the active file, its tail buffer and the positions.
  mutable std::mutex buffer_mutex_;
  SegmentFilePtr active_;
  std::uint64_t written_size_ = 0;  // bytes of the active file already written
  std::string buffer_;              // bytes after written_size_
  std::uint64_t appended_ = 0;      // log position: bytes appended over the writer's life
  // written_size_ + buffer_.size(); changed only under the engine's write lock.
  std::atomic<std::uint64_t> end_offset_{0};
  std::string failure_;  // non-empty once a write or fsync failed

  // Guarded by sync_mutex_: group commit.
  mutable std::mutex sync_mutex_;
  std::condition_variable sync_cv_;
  std::uint64_t durable_ = 0;
  bool leader_active_ = false;

  // (active segment id << 32) | bytes written to it: lets readers of written records skip
  // buffer_mutex_. Stored with release after the bytes are in the file.
  std::atomic<std::uint64_t> published_{0};

  std::atomic<std::uint64_t> writes_{0};
  std::atomic<std::uint64_t> fsyncs_{0};
};

}  // namespace nadb::engine
