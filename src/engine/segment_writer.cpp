#include "engine/segment_writer.hpp"

#include <exception>

#include "nadb/errors.hpp"
#include "obs/metrics.hpp"

namespace nadb::engine {

void SegmentWriter::activate(SegmentFilePtr file, std::uint64_t size) {
  write_lock_.assert_held();
  std::lock_guard lock(buffer_mutex_);
  active_ = std::move(file);
  written_size_ = size;
  buffer_.clear();
  end_offset_.store(size, std::memory_order_relaxed);
  publish_locked();
}

std::uint32_t SegmentWriter::active_id() const {
  std::lock_guard lock(buffer_mutex_);
  return active_ ? active_->id : 0;  // none in a read-only engine (ids start at 1)
}

void SegmentWriter::check_healthy() const {
  std::lock_guard lock(buffer_mutex_);
  throw_if_failed_locked();
}

void SegmentWriter::throw_if_failed_locked() const {
  if (!failure_.empty()) {
    throw IOError("writes are refused after an earlier I/O error (" + failure_ +
                  "); reopen the store");
  }
}

void SegmentWriter::fail(const std::exception& error) {
  std::lock_guard lock(buffer_mutex_);
  fail_locked(error);
}

void SegmentWriter::fail_locked(const std::exception& error) {
  failure_ = error.what();
  throw IOError(error.what());
}

void SegmentWriter::write_buffer_locked() {
  if (buffer_.empty()) return;
  static obs::Histogram& writes = obs::component_histogram("engine.write");
  obs::Timed timed(writes);
  try {
    active_->file.write_at(written_size_, buffer_);
  } catch (const std::exception& e) {
    fail_locked(e);
  }
  written_size_ += buffer_.size();
  buffer_.clear();
  publish_locked();
  writes_.fetch_add(1, std::memory_order_relaxed);
}

SegmentWriter::Appended SegmentWriter::append(std::string_view bytes) {
  write_lock_.assert_held();
  std::lock_guard lock(buffer_mutex_);
  throw_if_failed_locked();
  Appended result;
  result.segment = active_->id;
  result.offset = written_size_ + buffer_.size();
  if (bytes.size() >= buffer_limit_) {
    write_buffer_locked();
    try {
      active_->file.write_at(written_size_, bytes);
    } catch (const std::exception& e) {
      fail_locked(e);
    }
    written_size_ += bytes.size();
    publish_locked();
    writes_.fetch_add(1, std::memory_order_relaxed);
  } else {
    buffer_.append(bytes);
  }
  appended_ += bytes.size();
  end_offset_.store(written_size_ + buffer_.size(), std::memory_order_relaxed);
  result.position = appended_;
  result.buffer_full = buffer_.size() >= buffer_limit_;
  return result;
}

std::uint64_t SegmentWriter::appended_position() const {
  std::lock_guard lock(buffer_mutex_);
  return appended_;
}

std::uint64_t SegmentWriter::buffered_bytes() const {
  std::lock_guard lock(buffer_mutex_);
  return buffer_.size();
}

bool SegmentWriter::read_buffered(std::uint32_t segment, std::uint64_t offset, std::size_t n,
                                  std::string& out) const {
  std::uint64_t published = published_.load(std::memory_order_acquire);
  if (segment != published >> 32 || offset + n <= (published & 0xffffffffu)) return false;
  std::lock_guard lock(buffer_mutex_);
  if (!active_ || active_->id != segment || offset < written_size_) return false;
  out.assign(buffer_, static_cast<std::size_t>(offset - written_size_), n);
  return true;
}

std::uint64_t SegmentWriter::write_and_sync(std::uint64_t* written_size) {
  std::uint64_t reached = 0;
  SegmentFilePtr file;
  {
    std::lock_guard lock(buffer_mutex_);
    throw_if_failed_locked();
    write_buffer_locked();
    reached = appended_;
    if (written_size != nullptr) *written_size = written_size_;
    file = active_;
  }
  try {
    static obs::Histogram& fsyncs = obs::component_histogram("engine.fsync");
    obs::Timed timed(fsyncs);
    file->file.sync();
  } catch (const std::exception& e) {
    std::lock_guard lock(buffer_mutex_);
    fail_locked(e);
  }
  fsyncs_.fetch_add(1, std::memory_order_relaxed);
  return reached;
}

void SegmentWriter::sync_to(std::uint64_t position) {
  std::unique_lock lock(sync_mutex_);
  while (durable_ < position) {
    if (leader_active_) {
      sync_cv_.wait(lock);
      continue;
    }
    leader_active_ = true;  // this thread writes and fsyncs for every waiter
    lock.unlock();
    std::uint64_t reached = 0;
    std::exception_ptr error;
    try {
      reached = write_and_sync(nullptr);
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    leader_active_ = false;
    if (reached > durable_) durable_ = reached;
    sync_cv_.notify_all();
    if (error) std::rethrow_exception(error);
  }
}

std::uint64_t SegmentWriter::seal() {
  write_lock_.assert_held();
  std::uint64_t size = 0;
  std::uint64_t reached = write_and_sync(&size);
  std::lock_guard lock(sync_mutex_);
  if (reached > durable_) durable_ = reached;
  return size;
}

}  // namespace nadb::engine
