#include "engine/lock_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

#include "nadb/errors.hpp"

namespace nadb::engine {

LockFile::LockFile(const std::string& path) : file_(path, O_RDWR | O_CREAT) {
  if (::flock(file_.fd(), LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    if (err != EWOULDBLOCK) util::throw_io_error("flock", path, err);
    char pid[32] = {};
    std::size_t n = file_.read_some_at(0, sizeof pid - 1, pid);
    std::string holder(pid, n);
    throw Locked("database '" + path.substr(0, path.rfind('/')) +
                 "' is locked by another process (pid " + (holder.empty() ? "unknown" : holder) +
                 "); close it there first");
  }
  std::string pid = std::to_string(::getpid());
  file_.truncate(0);
  file_.write_at(0, pid);
}

}  // namespace nadb::engine
