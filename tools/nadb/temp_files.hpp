// Temporary files and folders of the nadb tool, in $TMPDIR (else /tmp).
#pragma once

#include <string>

namespace nadb::cli {

// Creates a new folder named <prefix>-XXXXXX; throws IOError.
std::string make_temp_folder(const std::string& prefix);

// A new temporary folder, removed with everything in it when this object is destroyed.
class TempFolder {
 public:
  explicit TempFolder(const std::string& prefix) : path_(make_temp_folder(prefix)) {}
  ~TempFolder();
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A new empty temporary file named with suffix, removed when this object is destroyed: what
// `export -` and `import -` stream through, so that an import of standard input is validated
// whole before anything is written, as an import of a file is. Throws IOError.
class SpoolFile {
 public:
  explicit SpoolFile(const std::string& suffix);
  ~SpoolFile();
  SpoolFile(const SpoolFile&) = delete;
  SpoolFile& operator=(const SpoolFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace nadb::cli
