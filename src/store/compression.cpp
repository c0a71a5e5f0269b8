#include "store/compression.hpp"

#include <zlib.h>
#include <zstd.h>

#include <memory>

#include "nadb/errors.hpp"

namespace nadb::store {

namespace {

// A context per thread: ZSTD_decompress would allocate and clear a new one (~100 KiB) for
// every value, which cost 15-20 µs per 1 KiB get.
ZSTD_DCtx* decompression_context() {
  thread_local std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> context(ZSTD_createDCtx(),
                                                                            ZSTD_freeDCtx);
  return context.get();
}

// A content checksum in every frame: values are verified on every backend, even those without
// record checksums of their own.
ZSTD_CCtx* compression_context() {
  thread_local std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> context(
      [] {
        ZSTD_CCtx* c = ZSTD_createCCtx();
        ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 3);
        ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
        return c;
      }(),
      ZSTD_freeCCtx);
  return context.get();
}

}  // namespace

EncodedValue compress_value(std::string_view value, Compression compression,
                            std::size_t threshold) {
  EncodedValue out;
  if (compression == Compression::None || value.size() < threshold || value.empty()) return out;
  if (compression == Compression::Zstd) {
    out.bytes.resize(ZSTD_compressBound(value.size()));
    std::size_t n = ZSTD_compress2(compression_context(), out.bytes.data(), out.bytes.size(),
                                   value.data(), value.size());
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
    std::size_t n = ZSTD_decompressDCtx(decompression_context(), out.data(), out.size(),
                                        stored.data(), stored.size());
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

std::string compress_with_dictionary(std::string_view value, const ZSTD_CDict* dictionary) {
  ZSTD_CCtx* context = compression_context();
  // The dictionary replaces the level: it was digested at one. Referenced for this frame only:
  // the next compress_value must not use it.
  ZSTD_CCtx_refCDict(context, dictionary);
  std::string out(ZSTD_compressBound(value.size()), '\0');
  std::size_t n = ZSTD_compress2(context, out.data(), out.size(), value.data(), value.size());
  ZSTD_CCtx_refCDict(context, nullptr);
  if (ZSTD_isError(n) || n >= value.size()) return {};
  out.resize(n);
  return out;
}

std::uint32_t dictionary_id_of(std::string_view frame) {
  return ZSTD_getDictID_fromFrame(frame.data(), frame.size());
}

std::string decompress_with_dictionary(std::string_view frame, const ZSTD_DDict* dictionary,
                                       std::uint64_t raw_size) {
  std::string out(raw_size, '\0');
  std::size_t n = ZSTD_decompress_usingDDict(decompression_context(), out.data(), out.size(),
                                             frame.data(), frame.size(), dictionary);
  if (ZSTD_isError(n) || n != raw_size)
    throw Corruption("compressed value does not decode to its recorded size with its dictionary");
  return out;
}

}  // namespace nadb::store
