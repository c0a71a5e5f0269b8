// The seam every file operation of util/files.cpp passes through. Production code installs
// nothing (one atomic load per operation); the reliability tests install hooks that fail
// chosen operations with EIO or ENOSPC, or record what was made durable so a power cut can be
// simulated (tests/support/fault_injector.hpp, tests/support/power_cut.hpp). Reads through a
// segment's memory mapping do not pass the seam: an I/O error there is a SIGBUS, not an errno.
#pragma once

#include <cstdint>
#include <string_view>

namespace nadb::util {

enum class FileOp {
  Open,             // path; flags in `flags`
  Read,             // pread of `size` bytes at `offset`
  Write,            // pwrite of `size` bytes at `offset`
  Sync,             // fdatasync of the file
  Truncate,         // ftruncate to `size`
  Rename,           // path renamed to `target`
  Remove,           // unlink of a file, or removal of a whole tree
  CreateDirectory,  // mkdir -p
  SyncDirectory,    // fsync of a directory
  ListDirectory,
};

struct FileEvent {
  FileOp op = FileOp::Open;
  std::string_view path;
  std::string_view target;  // Rename only
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  int flags = 0;  // Open only
};

class FileSystemHooks {
 public:
  virtual ~FileSystemHooks() = default;
  // Called before the operation: 0 lets it run, an errno value fails it with that error
  // (nothing of it happens). Called from whichever thread does the I/O.
  virtual int before(const FileEvent& event) = 0;
  // Called after the operation succeeded.
  virtual void after(const FileEvent& event) { (void)event; }
};

// Routes every following file operation through hooks (nullptr: none). The caller keeps hooks
// alive until it installs nullptr, and does so while no store is open.
void install_file_system_hooks(FileSystemHooks* hooks);

}  // namespace nadb::util
