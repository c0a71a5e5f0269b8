#include "util/files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "nadb/errors.hpp"
#include "util/file_system_hooks.hpp"

namespace nadb::util {
namespace {

std::atomic<FileSystemHooks*> installed_hooks{nullptr};

FileEvent event_of(FileOp op, std::string_view path, std::uint64_t offset = 0,
                   std::uint64_t size = 0) {
  FileEvent event;
  event.op = op;
  event.path = path;
  event.offset = offset;
  event.size = size;
  return event;
}

// Runs the installed hooks' before(); throws IOError like the real call would if they fail it.
void check_hooks(const FileEvent& event, const char* call) {
  FileSystemHooks* hooks = installed_hooks.load(std::memory_order_acquire);
  if (hooks == nullptr) return;
  if (int err = hooks->before(event); err != 0) throw_io_error(call, std::string(event.path), err);
}

void tell_hooks(const FileEvent& event) {
  if (FileSystemHooks* hooks = installed_hooks.load(std::memory_order_acquire)) hooks->after(event);
}

}  // namespace

void install_file_system_hooks(FileSystemHooks* hooks) {
  installed_hooks.store(hooks, std::memory_order_release);
}

void throw_io_error(const std::string& what, const std::string& path, int err) {
  throw IOError(what + " '" + path + "': " + std::strerror(err));
}

File::File(const std::string& path, int flags, mode_t mode) : path_(path) {
  FileEvent event = event_of(FileOp::Open, path);
  event.flags = flags;
  check_hooks(event, "open");
  // A file NADB creates is never created through a link someone planted in its place.
  if (flags & O_CREAT) flags |= O_NOFOLLOW;
  fd_ = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  if (fd_ < 0 && errno == ELOOP) {
    throw IOError("'" + path +
                  "' is a symbolic link: NADB does not create or write files through links");
  }
  if (fd_ < 0) throw_io_error("open", path, errno);
  tell_hooks(event);
}

File::~File() {
  close();
}

File::File(File&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) {
  other.fd_ = -1;
}

File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    other.fd_ = -1;
  }
  return *this;
}

void File::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::size_t File::read_some_at(std::uint64_t offset, std::size_t n, char* out) const {
  check_hooks(event_of(FileOp::Read, path_, offset, n), "pread");
  std::size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd_, out + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      throw_io_error("pread", path_, errno);
    }
    if (r == 0) break;
    done += static_cast<std::size_t>(r);
  }
  return done;
}

void File::read_at(std::uint64_t offset, std::size_t n, std::string& out) const {
  out.resize(n);
  if (read_some_at(offset, n, out.data()) != n) {
    throw Corruption("short read of " + std::to_string(n) + " bytes at offset " +
                     std::to_string(offset) + " of '" + path_ + "'");
  }
}

void File::write_at(std::uint64_t offset, std::string_view data) const {
  FileEvent event = event_of(FileOp::Write, path_, offset, data.size());
  check_hooks(event, "pwrite");
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t r =
        ::pwrite(fd_, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      throw_io_error("pwrite", path_, errno);
    }
    done += static_cast<std::size_t>(r);
  }
  tell_hooks(event);
}

void File::sync() const {
  FileEvent event = event_of(FileOp::Sync, path_);
  check_hooks(event, "fdatasync");
  if (::fdatasync(fd_) != 0) throw_io_error("fdatasync", path_, errno);
  tell_hooks(event);
}

void File::truncate(std::uint64_t size) const {
  FileEvent event = event_of(FileOp::Truncate, path_, 0, size);
  check_hooks(event, "ftruncate");
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) throw_io_error("ftruncate", path_, errno);
  tell_hooks(event);
}

std::uint64_t File::size() const {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) throw_io_error("fstat", path_, errno);
  return static_cast<std::uint64_t>(st.st_size);
}

Mapping::Mapping(const File& file, std::uint64_t length) {
  if (length == 0) return;
  void* p = ::mmap(nullptr, length, PROT_READ, MAP_SHARED, file.fd(), 0);
  if (p == MAP_FAILED) return;  // readers fall back to pread
  data_ = static_cast<const char*>(p);
  size_ = length;
}

Mapping::~Mapping() {
  if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
}

Mapping::Mapping(Mapping&& other) noexcept : data_(other.data_), size_(other.size_) {
  other.data_ = nullptr;
  other.size_ = 0;
}

Mapping& Mapping::operator=(Mapping&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
    data_ = other.data_;
    size_ = other.size_;
    other.data_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

void sync_directory(const std::string& dir) {
  File d(dir, O_RDONLY | O_DIRECTORY);
  FileEvent event = event_of(FileOp::SyncDirectory, dir);
  check_hooks(event, "fsync");
  if (::fsync(d.fd()) != 0) throw_io_error("fsync", dir, errno);
  tell_hooks(event);
}

std::uint64_t available_bytes(const std::string& path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0) throw_io_error("statvfs", path, errno);
  return static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
}

void create_directories(const std::string& dir) {
  FileEvent event = event_of(FileOp::CreateDirectory, dir);
  check_hooks(event, "mkdir");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw_io_error("mkdir", dir, ec.value());
  tell_hooks(event);
}

bool path_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::vector<std::string> list_directory(const std::string& dir) {
  check_hooks(event_of(FileOp::ListDirectory, dir), "opendir");
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) throw_io_error("opendir", dir, errno);
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

void rename_file(const std::string& from, const std::string& to) {
  FileEvent event = event_of(FileOp::Rename, from);
  event.target = to;
  std::string call = "rename to '" + to + "' of";
  check_hooks(event, call.c_str());
  if (::rename(from.c_str(), to.c_str()) != 0) throw_io_error(call, from, errno);
  tell_hooks(event);
}

void exchange_paths(const std::string& a, const std::string& b) {
  FileEvent event = event_of(FileOp::Rename, a);
  event.target = b;
  std::string call = "exchange with '" + b + "' of";
  check_hooks(event, call.c_str());
  if (::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) != 0)
    throw_io_error(call, a, errno);
  tell_hooks(event);
}

void remove_file(const std::string& path) {
  FileEvent event = event_of(FileOp::Remove, path);
  check_hooks(event, "unlink");
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw_io_error("unlink", path, errno);
  tell_hooks(event);
}

void remove_tree(const std::string& path) {
  FileEvent event = event_of(FileOp::Remove, path);
  check_hooks(event, "remove");
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) throw_io_error("remove", path, ec.value());
  tell_hooks(event);
}

void remove_tree_quietly(const std::string& path) noexcept {
  try {
    remove_tree(path);
  } catch (const std::exception&) {
    // Cleanup after an earlier failure: that failure is the one to report.
  }
}

std::string read_file(const std::string& path) {
  File f(path, O_RDONLY);
  std::string data;
  f.read_at(0, f.size(), data);
  return data;
}

void write_file_atomically(const std::string& path, std::string_view bytes) {
  std::string temp = path + ".tmp";
  remove_file(temp);  // a leftover (or a planted link: unlinked, never followed)
  {
    File file(temp, O_WRONLY | O_CREAT | O_EXCL);
    file.write_at(0, bytes);
    file.sync();
  }
  rename_file(temp, path);
}

std::string join_path(std::string_view a, std::string_view b) {
  std::string out(a);
  if (!out.empty() && out.back() != '/') out.push_back('/');
  out.append(b);
  return out;
}

}  // namespace nadb::util
