#include "store/compression.hpp"

#include <zlib.h>
#include <zstd.h>

#include <memory>

#include "nadb/errors.hpp"

namespace nadb::store {

EncodedValue compress_value(std::string_view value, Compression compression,
                            std::size_t threshold) {
  EncodedValue out;
  if (compression == Compression::None || value.size() < threshold || value.empty()) return out;
  if (compression == Compression::Zstd) {
    // A content checksum in every frame: values are verified on every backend, even those
    // without record checksums of their own.
    thread_local std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> context(
        [] {
          ZSTD_CCtx* c = ZSTD_createCCtx();
          ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 3);
          ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
          return c;
        }(),
        ZSTD_freeCCtx);
    out.bytes.resize(ZSTD_compressBound(value.size()));
    std::size_t n = ZSTD_compress2(context.get(), out.bytes.data(), out.bytes.size(), value.data(),
                                   value.size());
    if (ZSTD_isError(n)) return {};
    out.bytes.resize(n);
    out.codec = ValueCodec::Zstd;
  } else {
    uLongf n = compressBound(static_cast<uLong>(value.size()));
    out.bytes.resize(n);
    if (compress2(reinterpret_cast<Bytef*>(out.bytes.data()), &n,
                  reinterpret_cast<const Bytef*>(value.data()), static_cast<uLong>(value.size()),
                  Z_DEFAULT_COMPRESSION) != Z_OK) {
      return {};
    }
    out.bytes.resize(n);
    out.codec = ValueCodec::Zlib;
  }
  if (out.bytes.size() >= value.size()) return {};
  return out;
}

std::string decompress_value(std::string stored, ValueCodec codec, std::uint64_t raw_size) {
  if (codec == ValueCodec::None) {
    if (stored.size() != raw_size)
      throw Corruption("stored value size does not match its metadata");
    return stored;
  }
  std::string out(raw_size, '\0');
  bool ok;
  if (codec == ValueCodec::Zstd) {
    // A context per thread: ZSTD_decompress would allocate and clear a new one (~100 KiB)
    // for every value, which cost 15-20 µs per 1 KiB get.
    thread_local std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> context(ZSTD_createDCtx(),
                                                                              ZSTD_freeDCtx);
    std::size_t n =
        ZSTD_decompressDCtx(context.get(), out.data(), out.size(), stored.data(), stored.size());
    ok = !ZSTD_isError(n) && n == raw_size;
  } else {
    uLongf n = static_cast<uLongf>(raw_size);
    ok = uncompress(reinterpret_cast<Bytef*>(out.data()), &n,
                    reinterpret_cast<const Bytef*>(stored.data()),
                    static_cast<uLong>(stored.size())) == Z_OK &&
         n == raw_size;
  }
  if (!ok) throw Corruption("compressed value does not decode to its recorded size");
  return out;
}

}  // namespace nadb::store
