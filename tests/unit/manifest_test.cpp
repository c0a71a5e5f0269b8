// Backup manifests from hostile or damaged documents (cases the manifest fuzzer found or
// suggests): every one is Corruption naming the problem, never another exception.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "backup/manifest.hpp"
#include "nadb/errors.hpp"
#include "util/encoding.hpp"

namespace nadb::backup {
namespace {

// document with a valid checksum, as the store seals its own.
std::string sealed(nlohmann::json document) {
  document["checksum"] = util::sha256_hex(document.dump());
  return document.dump();
}

Manifest valid_manifest() {
  Manifest m;
  m.info.id = "b1";
  m.info.type = "full";
  m.info.db = "db";
  m.files.push_back({"00000001.seg", 10, "aa", false, 10, "aa"});
  m.live_files = {"00000001.seg"};
  return m;
}

void expect_corruption(const std::string& text, const std::string& needle) {
  try {
    manifest_from_json(text, "manifest");
    FAIL() << "accepted: " << text;
  } catch (const Corruption& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(Manifest, RoundTrips) {
  Manifest m = manifest_from_json(manifest_to_json(valid_manifest()), "manifest");
  EXPECT_EQ(m.info.id, "b1");
  EXPECT_EQ(m.files.at(0).name, "00000001.seg");
}

TEST(Manifest, MistypedFieldsAreCorruption) {
  expect_corruption(sealed({{"format_version", {"b2"}}}), "unsupported format version");
  expect_corruption(R"({"checksum": 5})", "not a NADB backup document");
  nlohmann::json document = nlohmann::json::parse(manifest_to_json(valid_manifest()));
  document.erase("checksum");
  document["key_count"] = "many";
  expect_corruption(sealed(document), "malformed");
}

TEST(Manifest, NamesThatLeaveTheBackupFolderAreCorruption) {
  for (const char* name : {"../../etc/passwd", "a/b", "..", ""}) {
    Manifest m = valid_manifest();
    m.files.at(0).name = name;
    expect_corruption(manifest_to_json(m), "not a plain file name");
  }
  Manifest m = valid_manifest();
  m.info.parent = "../other";
  expect_corruption(manifest_to_json(m), "not a plain file name");
  EXPECT_THROW(index_from_json(index_to_json({"physical", {"ok", "../escape"}}), "index"),
               Corruption);
}

}  // namespace
}  // namespace nadb::backup
