#include "backup/line_file.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>

#include "nadb/errors.hpp"
#include "util/files.hpp"

namespace nadb::backup {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Plain and zstd files are written through a File (so finish() can fsync); bytes are
// buffered and handed to flush_bytes.
class BufferedWriter : public LineWriter {
 public:
  explicit BufferedWriter(const std::string& path) : file_(path, O_WRONLY | O_CREAT | O_TRUNC) {}
  void write_line(std::string_view line) override {
    pending_.append(line);
    pending_.push_back('\n');
    if (pending_.size() >= (1 << 20)) drain(false);
  }
  void finish() override {
    drain(true);
    file_.sync();
    file_.close();
  }

 protected:
  virtual void drain(bool last) = 0;
  void put(std::string_view bytes) {
    file_.write_at(offset_, bytes);
    offset_ += bytes.size();
  }
  std::string pending_;

 private:
  util::File file_;
  std::uint64_t offset_ = 0;
};

class PlainWriter final : public BufferedWriter {
 public:
  using BufferedWriter::BufferedWriter;

 protected:
  void drain(bool) override {
    put(pending_);
    pending_.clear();
  }
};

class ZstdWriter final : public BufferedWriter {
 public:
  explicit ZstdWriter(const std::string& path)
      : BufferedWriter(path), stream_(ZSTD_createCStream()) {
    ZSTD_initCStream(stream_, 3);
  }
  ~ZstdWriter() override { ZSTD_freeCStream(stream_); }

 protected:
  void drain(bool last) override {
    std::string out(ZSTD_CStreamOutSize(), '\0');
    ZSTD_inBuffer in{pending_.data(), pending_.size(), 0};
    for (;;) {
      ZSTD_outBuffer o{out.data(), out.size(), 0};
      std::size_t left =
          ZSTD_compressStream2(stream_, &o, &in, last ? ZSTD_e_end : ZSTD_e_continue);
      if (ZSTD_isError(left)) throw IOError(std::string("zstd: ") + ZSTD_getErrorName(left));
      put(std::string_view(out.data(), o.pos));
      if (last ? left == 0 : in.pos == in.size) break;
    }
    pending_.clear();
  }

 private:
  ZSTD_CStream* stream_;
};

class GzipWriter final : public LineWriter {
 public:
  // The file is created like every other (never through a link), then handed to zlib.
  explicit GzipWriter(const std::string& path) : path_(path) {
    util::File created(path, O_WRONLY | O_CREAT | O_TRUNC);
    int fd = ::dup(created.fd());
    if (fd < 0) util::throw_io_error("dup", path, errno);
    file_ = gzdopen(fd, "wb6");
    if (file_ == nullptr) {
      ::close(fd);
      util::throw_io_error("gzdopen", path, errno);
    }
  }
  ~GzipWriter() override {
    if (file_ != nullptr) gzclose(file_);
  }
  void write_line(std::string_view line) override {
    std::string buffer(line);
    buffer.push_back('\n');
    if (gzwrite(file_, buffer.data(), static_cast<unsigned>(buffer.size())) !=
        static_cast<int>(buffer.size())) {
      throw IOError("gzwrite '" + path_ + "' failed");
    }
  }
  void finish() override {
    int rc = gzclose(file_);
    file_ = nullptr;
    if (rc != Z_OK) throw IOError("gzclose '" + path_ + "' failed");
    util::File(path_, O_RDONLY).sync();
  }

 private:
  std::string path_;
  gzFile file_ = nullptr;
};

// Reads decompressed chunks and splits them into lines. Each byte is searched for a newline
// once (a long line costs its length, not its length squared), and a line longer than
// max_line is refused as soon as the bytes held pass it.
class ChunkLineReader : public LineReader {
 public:
  bool read_line(std::string& line) override {
    ++number_;
    for (;;) {
      std::size_t nl = buffer_.find('\n', scanned_);
      if (nl != std::string::npos) {
        if (pos_ == 0 && nl > (1 << 20)) {  // a long line: hand the buffer over, copy the rest
          line.swap(buffer_);
          buffer_.assign(line, nl + 1);
          line.resize(nl);
          pos_ = scanned_ = 0;
          return true;
        }
        line.assign(buffer_, pos_, nl - pos_);
        pos_ = scanned_ = nl + 1;
        return true;
      }
      scanned_ = buffer_.size();
      buffer_.erase(0, pos_);
      scanned_ -= pos_;
      pos_ = 0;
      if (buffer_.size() > max_line_) {
        throw InvalidArgument("line " + std::to_string(number_) + " is longer than " +
                              std::to_string(max_line_) +
                              " bytes, more than the largest entry takes");
      }
      if (!refill(buffer_)) {
        if (buffer_.empty()) return false;
        line.swap(buffer_);  // a last line without a newline
        buffer_.clear();
        scanned_ = 0;
        return true;
      }
    }
  }
  void limit_lines(std::size_t max_line) { max_line_ = max_line; }

 protected:
  // Appends more decompressed bytes to out; false at the end of the input.
  virtual bool refill(std::string& out) = 0;

 private:
  std::string buffer_;
  std::size_t pos_ = 0;      // where the next line starts
  std::size_t scanned_ = 0;  // bytes before this hold no newline after pos_
  std::size_t number_ = 0;   // of the line being read (1-based)
  std::size_t max_line_ = SIZE_MAX;
};

class GzipReader final : public ChunkLineReader {
 public:
  explicit GzipReader(const std::string& path) : path_(path), file_(gzopen(path.c_str(), "rb")) {
    if (file_ == nullptr) util::throw_io_error("gzopen", path, errno);
  }
  ~GzipReader() override { gzclose(file_); }

 protected:
  bool refill(std::string& out) override {
    char chunk[1 << 16];
    int n = gzread(file_, chunk, sizeof chunk);
    if (n < 0) throw Corruption("'" + path_ + "' is not a valid gzip file");
    out.append(chunk, static_cast<std::size_t>(n));
    return n > 0;
  }

 private:
  std::string path_;
  gzFile file_;
};

class FileReader : public ChunkLineReader {
 public:
  explicit FileReader(const std::string& path) : file_(path, O_RDONLY) {}

 protected:
  std::size_t read_raw(char* out, std::size_t n) {
    std::size_t got = file_.read_some_at(offset_, n, out);
    offset_ += got;
    return got;
  }
  const std::string& path() const { return file_.path(); }

 private:
  util::File file_;
  std::uint64_t offset_ = 0;
};

class PlainReader final : public FileReader {
 public:
  using FileReader::FileReader;

 protected:
  bool refill(std::string& out) override {
    char chunk[1 << 16];
    std::size_t n = read_raw(chunk, sizeof chunk);
    out.append(chunk, n);
    return n > 0;
  }
};

class ZstdReader final : public FileReader {
 public:
  explicit ZstdReader(const std::string& path) : FileReader(path), stream_(ZSTD_createDStream()) {
    ZSTD_initDStream(stream_);
  }
  ~ZstdReader() override { ZSTD_freeDStream(stream_); }

 protected:
  bool refill(std::string& out) override {
    for (;;) {
      if (in_pos_ == input_.size()) {
        input_.resize(ZSTD_DStreamInSize());
        input_.resize(read_raw(input_.data(), input_.size()));
        in_pos_ = 0;
        if (input_.empty()) {
          if (!frame_done_)
            throw Corruption("'" + path() + "' ends inside a zstd frame (truncated)");
          return false;
        }
      }
      std::string chunk(ZSTD_DStreamOutSize(), '\0');
      ZSTD_inBuffer in{input_.data(), input_.size(), in_pos_};
      ZSTD_outBuffer o{chunk.data(), chunk.size(), 0};
      std::size_t rc = ZSTD_decompressStream(stream_, &o, &in);
      if (ZSTD_isError(rc))
        throw Corruption("'" + path() + "' is not valid zstd: " + ZSTD_getErrorName(rc));
      in_pos_ = in.pos;
      frame_done_ = rc == 0;
      out.append(chunk.data(), o.pos);
      if (o.pos > 0) return true;
    }
  }

 private:
  ZSTD_DStream* stream_;
  std::string input_;
  std::size_t in_pos_ = 0;
  bool frame_done_ = true;
};

}  // namespace

std::unique_ptr<LineWriter> open_line_writer(const std::string& path) {
  if (ends_with(path, ".gz")) return std::make_unique<GzipWriter>(path);
  if (ends_with(path, ".zst")) return std::make_unique<ZstdWriter>(path);
  return std::make_unique<PlainWriter>(path);
}

std::unique_ptr<LineReader> open_line_reader(const std::string& path, std::size_t max_line) {
  if (!util::path_exists(path)) throw NotFound("no file '" + path + "'");
  std::unique_ptr<ChunkLineReader> reader;
  if (ends_with(path, ".gz")) {
    reader = std::make_unique<GzipReader>(path);
  } else if (ends_with(path, ".zst")) {
    reader = std::make_unique<ZstdReader>(path);
  } else {
    reader = std::make_unique<PlainReader>(path);
  }
  reader->limit_lines(max_line);
  return reader;
}

}  // namespace nadb::backup
