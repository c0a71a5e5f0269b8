// Small helpers to drive the engine directly in tests.
#pragma once

#include <filesystem>
#include <string>

#include "engine/engine.hpp"
#include "support/write_ops.hpp"
#include "util/files.hpp"

namespace nadb::testing {

inline engine::EngineOptions small_segments(std::uint64_t segment_bytes = 64 << 10) {
  engine::EngineOptions o;
  o.segment_bytes = segment_bytes;
  o.background_maintenance = false;  // tests drive hints and compaction themselves
  return o;
}

inline WriteOp remove_op(const std::string& key, const std::string& ns = "ns") {
  WriteOp op;
  op.kind = WriteOp::Kind::Remove;
  op.ns = ns;
  op.key = key;
  return op;
}

inline BatchResult apply(engine::Engine& e, std::vector<WriteOp> ops, bool sync = false,
                         std::int64_t now_ms = 1'000'000) {
  WriteBatch batch;
  batch.ops = std::move(ops);
  batch.now_ms = now_ms;
  batch.sync = sync;
  return e.apply(batch);
}

inline std::optional<std::string> value_of(engine::Engine& e, const std::string& key,
                                           const std::string& ns = "ns",
                                           std::int64_t now_ms = 1'000'000) {
  auto record = e.get(ns, key, now_ms, false);
  if (!record) return std::nullopt;
  return record->value;
}

// Copies a db folder as a crash would leave it: the files as they are, no close.
inline void copy_folder(const std::string& from, const std::string& to) {
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
  std::filesystem::remove(std::filesystem::path(to) / "LOCK");
}

}  // namespace nadb::testing
