// The backend conformance kit's fixture: every contract of StorageBackend and of each facet a
// backend declares, run on every backend of support/backend_kit.hpp, opened by its factory.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "nadb/backend.hpp"
#include "support/backend_kit.hpp"
#include "support/temp_dir.hpp"
#include "support/write_ops.hpp"

namespace nadb::testing {

class BackendKit : public ::testing::TestWithParam<KitBackend> {
 protected:
  void SetUp() override { backend_ = GetParam().open(dir_.path()); }

  static std::int64_t now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  static WriteOp put_op(const std::string& ns, const std::string& key, const std::string& value,
                        std::vector<std::string> tags = {}, std::int64_t expires_ms = 0) {
    return testing::put_op(key, value, std::move(tags), expires_ms, ns);
  }
  static WriteOp op_of(WriteOp::Kind kind, const std::string& ns, const std::string& key) {
    WriteOp op;
    op.kind = kind;
    op.ns = ns;
    op.key = key;
    return op;
  }
  BatchResult apply(std::vector<WriteOp> ops, std::int64_t at = 0) {
    WriteBatch batch;
    batch.ops = std::move(ops);
    batch.now_ms = at == 0 ? now() : at;
    return backend_->apply(batch);
  }
  std::uint64_t put(const std::string& ns, const std::string& key, const std::string& value,
                    std::vector<std::string> tags = {}, std::int64_t expires_ms = 0) {
    return apply({put_op(ns, key, value, std::move(tags), expires_ms)}).ops.at(0).version;
  }
  std::optional<std::string> value(const std::string& ns, const std::string& key) {
    auto record = backend_->get(ns, key, now(), false);
    return record ? std::optional(record->value) : std::nullopt;
  }
  // The first of base, base1, base2, ... in the batch group of (ns, key): a multi-key batch
  // over them is applied by every backend (StorageBackend::batch_group).
  std::string key_near(const std::string& ns, const std::string& key, const std::string& base) {
    std::string candidate = base;
    for (int i = 1; backend_->batch_group(ns, candidate) != backend_->batch_group(ns, key); ++i)
      candidate = base + std::to_string(i);
    return candidate;
  }
  // Whether a batch over keys of different batch groups is refused (a sharded namespace on a
  // Redis Cluster) rather than applied whole.
  bool refuses_batches_over_groups() const {
    return testing::refuses_batches_over_groups(GetParam().options(dir_.path(), "db", "n"));
  }
  std::vector<std::string> all_keys(const std::string& ns) {
    return backend_->scan(ns, "", "", 100000, now()).keys;
  }

  TempDir dir_;
  std::shared_ptr<StorageBackend> backend_;
};

// The backends of the kit that declare a facet (each opened once to ask; called by gtest from
// main, so a shared server starts on the main thread).
template <class Facet>
std::vector<KitBackend> kit_backends_with(Facet* BackendFacets::*facet) {
  std::vector<KitBackend> out;
  for (const KitBackend& backend : kit_backends()) {
    TempDir dir;
    if (backend.open(dir.path())->facets().*facet != nullptr) out.push_back(backend);
  }
  return out;
}

#define NADB_BACKEND_KIT_SUITE(Suite)                                            \
  INSTANTIATE_TEST_SUITE_P(Backends, Suite, ::testing::ValuesIn(kit_backends()), \
                           [](const auto& param_info) { return param_info.param.name; })

}  // namespace nadb::testing
