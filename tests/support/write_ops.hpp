// Write ops for tests that drive a backend directly (public API only).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nadb/backend.hpp"

namespace nadb::testing {

// A Put of key in ns.
inline WriteOp put_op(const std::string& key, const std::string& value,
                      std::vector<std::string> tags = {}, std::int64_t expires_ms = 0,
                      const std::string& ns = "ns") {
  WriteOp op;
  op.kind = WriteOp::Kind::Put;
  op.ns = ns;
  op.key = key;
  op.value = value;
  op.raw_size = value.size();
  op.tags = std::move(tags);
  op.expires_ms = expires_ms;
  return op;
}

}  // namespace nadb::testing
