// Thin RAII wrappers over POSIX file calls. Every failure throws nadb::IOError naming the
// call, the path and errno's text. (errors.hpp is a leaf header; util uses nothing else of ours.)
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nadb::util {

[[noreturn]] void throw_io_error(const std::string& what, const std::string& path, int err);

class File {
 public:
  File() = default;
  // Opens path with open(2) flags; throws IOError on failure. With O_CREAT, O_NOFOLLOW is
  // added: a symbolic link at path is refused (IOError saying so), never followed.
  File(const std::string& path, int flags, mode_t mode = 0644);
  ~File();
  File(File&& other) noexcept;
  File& operator=(File&& other) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  bool is_open() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

  // Reads exactly n bytes at offset into out (resized); throws IOError, or Corruption when the
  // file ends first.
  void read_at(std::uint64_t offset, std::size_t n, std::string& out) const;
  // Reads up to n bytes at offset; returns how many were read (fewer only at end of file).
  std::size_t read_some_at(std::uint64_t offset, std::size_t n, char* out) const;
  void write_at(std::uint64_t offset, std::string_view data) const;
  void sync() const;  // fdatasync
  void truncate(std::uint64_t size) const;
  std::uint64_t size() const;
  void close();

 private:
  int fd_ = -1;
  std::string path_;
};

// A read-only shared mapping of the first `length` bytes of a file (which may extend past the
// end of the file: only bytes the file holds may be read). Empty if mmap failed.
class Mapping {
 public:
  Mapping() = default;
  Mapping(const File& file, std::uint64_t length);
  ~Mapping();
  Mapping(Mapping&& other) noexcept;
  Mapping& operator=(Mapping&& other) noexcept;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;

  // The bytes [offset, offset + n), or an empty view when they lie outside the mapping.
  std::string_view view(std::uint64_t offset, std::size_t n) const {
    if (data_ == nullptr || offset + n > size_) return {};
    return {data_ + offset, n};
  }
  std::uint64_t size() const { return size_; }

 private:
  const char* data_ = nullptr;
  std::uint64_t size_ = 0;
};

// fsync of a directory, so that creates, renames and unlinks in it are durable.
void sync_directory(const std::string& dir);
void create_directories(const std::string& dir);
bool path_exists(const std::string& path);
// The bytes an unprivileged writer may still use on the file system holding path (statvfs);
// throws IOError.
std::uint64_t available_bytes(const std::string& path);
// Names (not paths) of the entries of dir, sorted.
std::vector<std::string> list_directory(const std::string& dir);
void rename_file(const std::string& from, const std::string& to);
// Swaps the names of a and b in one atomic step (renameat2 RENAME_EXCHANGE).
void exchange_paths(const std::string& a, const std::string& b);
void remove_file(const std::string& path);  // no error if missing
// Removes path and everything under it (no error if missing); throws IOError.
void remove_tree(const std::string& path);
// As remove_tree, ignoring errors: for cleaning up after an earlier failure.
void remove_tree_quietly(const std::string& path) noexcept;
std::string read_file(const std::string& path);
// Replaces path with bytes all at once: writes <path>.tmp (created anew: O_EXCL, after removing
// any leftover), fsyncs it, renames it over path (a link at path is replaced, not followed).
// The caller fsyncs the directory when the rename itself must be durable.
void write_file_atomically(const std::string& path, std::string_view bytes);
std::string join_path(std::string_view a, std::string_view b);

}  // namespace nadb::util
