#include "temp_files.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "nadb/errors.hpp"

namespace nadb::cli {
namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / name).string();
}

}  // namespace

std::string make_temp_folder(const std::string& prefix) {
  std::string pattern = temp_path(prefix + "-XXXXXX");
  if (::mkdtemp(pattern.data()) == nullptr)
    throw IOError("cannot create a temporary folder " + pattern + ": " + std::strerror(errno));
  return pattern;
}

TempFolder::~TempFolder() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

SpoolFile::SpoolFile(const std::string& suffix) : path_(temp_path("nadb-stream-XXXXXX" + suffix)) {
  int fd = ::mkstemps(path_.data(), static_cast<int>(suffix.size()));
  if (fd < 0)
    throw IOError("cannot create a temporary file " + path_ + ": " + std::strerror(errno));
  ::close(fd);
}

SpoolFile::~SpoolFile() {
  std::remove(path_.c_str());
}

}  // namespace nadb::cli
