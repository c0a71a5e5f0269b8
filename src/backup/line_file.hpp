// Line-oriented files, compressed by their name: ".gz" (gzip), ".zst" (zstd), else plain.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace nadb::backup {

class LineWriter {
 public:
  virtual ~LineWriter() = default;
  // Writes line and a newline. Throws IOError.
  virtual void write_line(std::string_view line) = 0;
  // Flushes, fsyncs and closes; the file is complete only after it returns. Throws IOError.
  virtual void finish() = 0;
};

class LineReader {
 public:
  virtual ~LineReader() = default;
  // The next line without its newline; false at the end. Throws IOError / Corruption, and
  // InvalidArgument ("line N: ...") for a line longer than the reader's limit, found before
  // more than the limit is held in memory.
  virtual bool read_line(std::string& line) = 0;
};

// Creates path (replacing it) for writing. Throws IOError.
std::unique_ptr<LineWriter> open_line_writer(const std::string& path);
// Opens path for reading lines of at most max_line bytes. Throws IOError, NotFound when it
// does not exist.
std::unique_ptr<LineReader> open_line_reader(const std::string& path,
                                             std::size_t max_line = SIZE_MAX);

}  // namespace nadb::backup
