// The engine's keydir image upkeep: written at close and in checkpoints, checked in the
// background after an open that mapped one (keydir_image.hpp says what an image is; recovery.cpp
// maps it).
#include <algorithm>
#include <map>

#include "engine/engine.hpp"
#include "obs/log.hpp"
#include "obs/metrics.hpp"
#include "util/clock.hpp"
#include "util/files.hpp"

namespace nadb::engine {

std::vector<CoveredSegment> Engine::log_now_locked() const {
  std::uint32_t active = writer_.active_id();
  std::vector<CoveredSegment> now;
  for (const auto& [id, info] : segments_) {
    std::uint64_t size = id == active ? writer_.end_offset() : info.size;
    now.push_back({id, size, 0});
  }
  return now;
}

bool Engine::image_due_locked(const std::vector<CoveredSegment>& now) const {
  if (!image_covers_) return true;
  // A tag index built from the keys is worth saving, and an image of an earlier boot is
  // verified whole by every open until it is replaced.
  if (keydir_.has_unsaved_index() || image_of_earlier_boot_) return true;
  // The log after the image is replayed by the next open. A short tail costs that open less
  // than rewriting the whole image costs this close (a `nadb set` on a 1M-key db would write
  // 116 MB), so the image is rewritten only once replaying would cost more: a record costs
  // the open 1.4-2.7 µs (mostly copying the image page it changes), writing the image about
  // 0.6 ns a byte (10k deletes at 100k keys: 14-27 ms to replay, 8 ms to write 13 MB) — or
  // once the tail outgrows an eighth of the image, at most kMaxImageTailBytes.
  constexpr std::uint64_t kImageBytesPerReplayedRecord = 2048;
  if (records_since_image_ * kImageBytesPerReplayedRecord > image_body_bytes_) return true;
  constexpr std::uint64_t kMaxImageTailBytes = 4 << 20;
  std::map<std::uint32_t, std::uint64_t> sizes;
  for (const CoveredSegment& s : now)
    sizes[s.id] = s.size;
  std::uint64_t tail = 0;
  for (const CoveredSegment& covered : *image_covers_) {
    auto it = sizes.find(covered.id);
    if (it == sizes.end() || it->second < covered.size) return true;  // stale: compacted away
    tail += it->second - covered.size;
    sizes.erase(it);
  }
  for (const auto& [id, size] : sizes)
    tail += size;
  return tail > std::min(kMaxImageTailBytes, image_body_bytes_ / 8);
}

bool Engine::write_image_locked(std::vector<CoveredSegment> now,
                                const std::function<bool()>& give_up, const char* occasion) {
  for (CoveredSegment& s : now)
    s.ends_checksum = segment_ends_checksum(segments_.at(s.id).file->file, s.size);
  util::Stopwatch watch;
  std::optional<std::uint64_t> body =
      KeydirImage::write(dir_, keydir_, now, next_seq_ - 1, give_up);
  if (!body) return false;
  image_covers_ = std::move(now);
  image_body_bytes_ = *body;
  appended_at_image_ = writer_.appended_position();
  compacted_at_image_ = compacted_bytes_.load();
  records_since_image_ = 0;
  image_of_earlier_boot_ = false;
  obs::logger(obs::Component::Engine)
      .debug("keydir image written", {{"dir", dir_},
                                      {"occasion", occasion},
                                      {"bytes", *body},
                                      {"duration_ms", watch.elapsed_ms()}});
  return true;
}

void Engine::write_keydir_image_at_close() {
  // An open that skipped damaged records leaves no image: the next open meets the damage
  // again (and refuses it, unless told to skip it), as it would without images.
  if (options_.read_only || damaged_bytes_.load() > 0) return;
  try {
    util::MutexLock compaction_lock(compaction_mutex_);
    util::MutexLock write_lock(write_mutex_);
    util::ReaderLock state_lock(state_mutex_);
    writer_.check_healthy();  // a failed write may be in the keydir but not on disk
    std::vector<CoveredSegment> now = log_now_locked();
    if (!image_due_locked(now)) return;  // by ids and sizes: no segment is read for it
    write_image_locked(std::move(now), {}, "close");
  } catch (const std::exception& e) {
    obs::logger(obs::Component::Engine)
        .warn("no keydir image written at close: the next open replays more of the log",
              {{"dir", dir_}, {"error", e.what()}});
  }
}

bool Engine::room_for_image_locked() {
  // On a nearly full disk every attempt would fill it before failing, leaving other writers of
  // that file system without room meanwhile.
  std::uint64_t needed = std::max<std::uint64_t>(image_body_bytes_, keydir_.memory_bytes());
  bool room = util::available_bytes(dir_) >= needed + needed / 4;
  if (!room && !checkpoint_lacked_room_) {
    obs::logger(obs::Component::Engine)
        .warn(
            "no keydir checkpoint: too little free disk space for the image; an open after a "
            "crash replays more of the log",
            {{"dir", dir_}, {"needed_bytes", needed}});
  }
  checkpoint_lacked_room_ = !room;
  return room;
}

bool Engine::checkpoint_due_locked() const {
  // Each checkpoint writes the whole keydir: waiting for the segments to grow by an eighth of
  // it (appends, and compaction output, which makes the image stale) keeps what checkpoints
  // write within eight times what the segments got.
  std::uint64_t grown = writer_.appended_position() - appended_at_image_ + compacted_bytes_.load() -
                        compacted_at_image_;
  return grown >= std::max(kCheckpointMinTail, image_body_bytes_ / 8);
}

bool Engine::checkpoint() {
  return run_checkpoint(false);
}

bool Engine::run_checkpoint(bool forced) {
  if (damaged_bytes_.load() > 0) return true;  // as at close
  try {
    if (!forced) {
      util::MutexLock write_lock(write_mutex_);
      util::ReaderLock state_lock(state_mutex_);
      // Also due when the keydir holds half its memory bound: at rest it gives that back.
      if (!checkpoint_due_locked() && !over_half_memory_bound(private_bytes_if_bounded_locked()))
        return true;
    }
    // The image covers only what the files hold (it checksums the segments' ends): synced
    // first, outside the locks (an fsync of a busy disk may take long; writers go on).
    std::uint64_t synced = writer_.appended_position();
    writer_.sync_to(synced);
    Keydir retired;  // a keydir replaced by its image is freed after the locks
    util::MutexLock compaction_lock(compaction_mutex_);
    util::MutexLock write_lock(write_mutex_);
    writer_.check_healthy();
    if (writer_.appended_position() != synced) {
      if (!forced) return false;  // written meanwhile: no pause
      writer_.sync_to(writer_.appended_position());
    }
    bool adopt = forced;
    std::uint64_t private_bytes = 0;
    {
      util::ReaderLock state_lock(state_mutex_);
      if (!room_for_image_locked()) return false;
      static obs::Histogram& checkpoints = obs::component_histogram("engine.checkpoint");
      std::uint64_t started = util::ticks();
      auto give_up = [this, forced] {
        return closing_.load() || (!forced && write_waiters_.load(std::memory_order_relaxed) > 0);
      };
      if (!write_image_locked(log_now_locked(), give_up, forced ? "memory bound" : "checkpoint"))
        return false;
      checkpoints.record(util::ticks() - started, false);
      // Measured here, not under the exclusive lock the swap takes (a pagemap read).
      private_bytes = private_bytes_if_bounded_locked();
      adopt = adopt || over_half_memory_bound(private_bytes);
    }
    return !adopt || adopt_image_locked(retired, private_bytes);
  } catch (const std::exception& e) {
    obs::logger(obs::Component::Engine)
        .warn("a keydir checkpoint failed: an open after a crash replays more of the log",
              {{"dir", dir_}, {"error", e.what()}});
    return false;
  }
}

std::uint64_t Engine::private_bytes_if_bounded_locked() const {
  return options_.keydir_memory_bytes == 0 ? 0 : keydir_.private_bytes();
}

bool Engine::over_half_memory_bound(std::uint64_t private_bytes) const {
  return private_bytes > options_.keydir_memory_bytes / 2 && options_.keydir_memory_bytes != 0;
}

bool Engine::adopt_image_locked(Keydir& retired, std::uint64_t private_bytes) {
  Keydir loaded;
  std::optional<KeydirImage> image = KeydirImage::load(dir_, loaded, [this] { on_image_damage(); });
  if (!image || !image_covers_ || image->segments() != *image_covers_) {
    obs::logger(obs::Component::Engine)
        .warn("the keydir image just written could not be mapped: the keydir keeps its memory",
              {{"dir", dir_}});
    return false;
  }
  util::WriterLock state_lock(state_mutex_);
  loaded.take_indexes(keydir_);
  retired = std::move(keydir_);
  keydir_ = std::move(loaded);
  image_ = std::move(image);
  obs::logger(obs::Component::Engine)
      .debug("the keydir maps its new image",
             {{"dir", dir_}, {"private_bytes_freed", private_bytes}});
  return true;
}

std::uint64_t Engine::keydir_private_bytes() {
  util::ReaderLock state_lock(state_mutex_);
  return keydir_.private_bytes();
}

void Engine::on_image_damage() {
  obs::logger(obs::Component::Engine)
      .error("the keydir image fails its checksums: it is kept aside and the keydir rebuilt",
             {{"dir", dir_}});
  if (options_.read_only) {  // nothing may be written: later loads leave images alone
    ignore_image_ = true;
    reload_due_ = true;
    return;
  }
  try {
    std::string path = util::join_path(dir_, kKeydirImageFile);
    util::rename_file(path, path + "." + std::to_string(util::now_ms()) + ".damaged");
    util::sync_directory(dir_);
  } catch (const std::exception& e) {
    obs::logger(obs::Component::Engine)
        .error("setting the damaged keydir image aside failed",
               {{"dir", dir_}, {"error", e.what()}});
  }
}

void Engine::check_keydir_image() {
  {
    // Not at once: a short session (a `nadb get`) would spend a core hashing an image it
    // barely reads, and reads verify the blocks they touch anyway.
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    util::MutexLock lock(maintenance_mutex_);
    while (!stopping_ && maintenance_cv_.wait_until(lock, until) != std::cv_status::timeout) {
    }
    if (stopping_) return;
  }
  std::optional<KeydirImage> image;
  {
    util::MutexLock write_lock(write_mutex_);
    image = image_;
  }
  try {
    auto shared = [this](const std::function<void()>& fn) {
      util::ReaderLock state_lock(state_mutex_);
      fn();
    };
    if (!image || image->verify_blocks(stop_image_check_, shared)) return;
    if (options_.read_only) {
      util::MutexLock refresh_lock(refresh_mutex_);
      reload_due_ = false;
      install_loaded(std::move(*load_read_only(nullptr)));
      return;
    }
    util::MutexLock compaction_lock(compaction_mutex_);
    util::MutexLock write_lock(write_mutex_);
    util::WriterLock state_lock(state_mutex_);
    writer_.sync_to(writer_.appended_position());
    rebuild_state_locked();  // on_image_damage set the image aside
  } catch (const std::exception& e) {
    // The rebuild failed: refuse writes, as after any failure to recover the state.
    obs::logger(obs::Component::Engine)
        .error("checking the keydir image failed", {{"dir", dir_}, {"error", e.what()}});
    try {
      writer_.fail(e);
    } catch (const std::exception&) {  // fail throws what it records
    }
  }
}

}  // namespace nadb::engine
