// PowerCut: a FaultInjector that also records what the file operations made durable, so that
// after the "cut" (every operation from the Nth on fails, as if the machine were gone) revert()
// can put the folder in the state a power loss may leave: file bytes written since the file's
// last fdatasync are dropped (or, torn, half kept), and files created, renamed or removed in a
// directory not fsynced since are uncreated, renamed back or brought back. The model is
// stricter than ext4 (which orders much of this): whatever survives it survives there.
// Not modelled: removals of whole trees (taken as durable at once).
#pragma once

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/fault_injector.hpp"
#include "util/boot.hpp"

namespace nadb::testing {

class PowerCut : public FaultInjector {
 public:
  // The cut happens at the fail_at-th file operation of this thread.
  explicit PowerCut(std::uint64_t fail_at) : FaultInjector(fail_at, EIO, {}, true) {}

  int before(const util::FileEvent& event) override {
    int error = FaultInjector::before(event);
    if (error != 0) return error;
    std::lock_guard lock(mutex_);
    std::string path(event.path);
    auto& pending = pending_[std::this_thread::get_id()];
    pending.reset();
    if (event.op == util::FileOp::Open && (event.flags & O_CREAT) != 0 && !exists(path)) {
      pending = Change{Change::Created, path, "", std::nullopt};
    } else if (event.op == util::FileOp::Rename) {
      std::string target(event.target);
      pending = Change{Change::Renamed, path, target, saved_file(target)};
    } else if (event.op == util::FileOp::Remove && is_file(path)) {
      pending = Change{Change::Removed, path, "", saved_file(path)};
    }
    return 0;
  }

  void after(const util::FileEvent& event) override {
    std::lock_guard lock(mutex_);
    std::string path(event.path);
    switch (event.op) {
      case util::FileOp::Write: {
        auto& dirty = dirty_from_[path];
        dirty = std::min(dirty.value_or(event.offset), event.offset);
        break;
      }
      case util::FileOp::Sync:
        dirty_from_.erase(path);
        break;
      case util::FileOp::Truncate:
        dirty_from_[path] = std::min(dirty_from_[path].value_or(event.size), event.size);
        break;
      case util::FileOp::SyncDirectory:
        std::erase_if(changes_, [&](const Change& c) { return c.touches(path); });
        break;
      default:
        break;
    }
    auto& pending = pending_[std::this_thread::get_id()];
    if (pending) {
      if (pending->kind == Change::Renamed) {
        // Bytes not yet synced follow the file to its new name.
        if (auto it = dirty_from_.find(path); it != dirty_from_.end()) {
          dirty_from_[pending->to] = it->second;
          dirty_from_.erase(it);
        }
      }
      changes_.push_back(*pending);
      pending.reset();
    }
  }

  // Puts the folder in the state after the power loss. torn: keep the first half of each
  // file's unsynced bytes instead of none.
  void revert(bool torn) {
    stop();
    util::pretend_restart();  // what was not synced may be lost: a restart follows
    std::lock_guard lock(mutex_);
    for (auto it = changes_.rbegin(); it != changes_.rend(); ++it)
      undo(*it);
    for (const auto& [path, from] : dirty_from_) {
      if (!from || !is_file(path)) continue;
      auto size = static_cast<std::uint64_t>(std::filesystem::file_size(path));
      std::uint64_t keep = *from + (torn && size > *from ? (size - *from) / 2 : 0);
      if (keep < size) std::filesystem::resize_file(path, keep);
    }
  }

 private:
  struct Change {
    enum Kind { Created, Renamed, Removed } kind;
    std::string from;                  // the created or removed path, or the rename's source
    std::string to;                    // the rename's target
    std::optional<std::string> saved;  // what the target (or removed file) held before
    bool touches(const std::string& dir) const {
      return parent(from) == dir || (!to.empty() && parent(to) == dir);
    }
  };

  static std::string parent(const std::string& path) {
    return std::filesystem::path(path).parent_path().string();
  }
  static bool exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
  }
  static bool is_file(const std::string& path) { return std::filesystem::is_regular_file(path); }
  static std::optional<std::string> saved_file(const std::string& path) {
    if (!is_file(path)) return std::nullopt;
    std::ifstream in(path, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
  }
  static void write(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  }

  void undo(const Change& c) {
    std::error_code ec;
    switch (c.kind) {
      case Change::Created:
        std::filesystem::remove(c.from, ec);
        dirty_from_.erase(c.from);
        break;
      case Change::Renamed:
        if (!exists(c.to)) break;
        if (exists(c.from)) {
          ::renameat2(AT_FDCWD, c.from.c_str(), AT_FDCWD, c.to.c_str(), RENAME_EXCHANGE);
        } else {
          std::filesystem::rename(c.to, c.from, ec);
          if (c.saved) write(c.to, *c.saved);
        }
        if (auto it = dirty_from_.find(c.to); it != dirty_from_.end()) {
          dirty_from_[c.from] = it->second;
          dirty_from_.erase(it);
        }
        break;
      case Change::Removed:
        if (c.saved && !exists(c.from)) write(c.from, *c.saved);
        break;
    }
  }

  // Guarded by mutex_: background threads do file operations too.
  std::mutex mutex_;
  // Per thread: recorded in before(), kept in after() once the operation succeeded.
  std::map<std::thread::id, std::optional<Change>> pending_;
  std::vector<Change> changes_;  // directory changes not yet made durable, oldest first
  std::map<std::string, std::optional<std::uint64_t>> dirty_from_;  // first unsynced byte
};

}  // namespace nadb::testing
