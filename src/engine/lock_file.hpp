// LockFile: one process owns a db. An flock on <db>/LOCK, with the holder's pid in the file so
// that a second process is told who holds it.
#pragma once

#include <string>

#include "util/files.hpp"

namespace nadb::engine {

class LockFile {
 public:
  // Takes the lock; throws Locked (naming the holder's pid) or IOError.
  explicit LockFile(const std::string& path);
  // Releases the lock (closing the file releases the flock).
  ~LockFile() = default;

 private:
  util::File file_;
};

}  // namespace nadb::engine
