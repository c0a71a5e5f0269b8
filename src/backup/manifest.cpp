#include "backup/manifest.hpp"

#include <nlohmann/json.hpp>

#include "nadb/errors.hpp"
#include "util/encoding.hpp"

namespace nadb::backup {
namespace {

using Json = nlohmann::json;

// The document with a "checksum" over its other fields (sorted keys: a canonical text).
std::string sealed(Json document) {
  document.erase("checksum");
  document["checksum"] = util::sha256_hex(document.dump());
  return document.dump(1);
}

Json unsealed(const std::string& text, const std::string& what) {
  Json document = Json::parse(text, nullptr, false);
  if (document.is_discarded() || !document.is_object() || !document.contains("checksum")) {
    throw Corruption(what + " is not a NADB backup document");
  }
  std::string checksum = document.value("checksum", "");
  document.erase("checksum");
  if (util::sha256_hex(document.dump()) != checksum) throw Corruption(what + " fails its checksum");
  if (document.value("format_version", 0) != kBackupFormatVersion) {
    throw Corruption(what + " has an unsupported format version");
  }
  return document;
}

}  // namespace

std::string manifest_to_json(const Manifest& m) {
  Json files = Json::array();
  for (const auto& f : m.files) {
    files.push_back({{"name", f.name},
                     {"size", f.size},
                     {"sha256", f.sha256},
                     {"compressed", f.compressed},
                     {"raw_size", f.raw_size},
                     {"raw_sha256", f.raw_sha256}});
  }
  const BackupInfo& i = m.info;
  return sealed({{"format_version", kBackupFormatVersion},
                 {"id", i.id},
                 {"type", i.type},
                 {"parent", i.parent},
                 {"created_at", i.created_at},
                 {"db", i.db},
                 {"namespaces", i.namespaces},
                 {"key_count", i.key_count},
                 {"compressed", i.compressed},
                 {"live_files", m.live_files},
                 {"logical", m.logical},
                 {"snapshot_ms", m.snapshot_ms},
                 {"files", files}});
}

Manifest manifest_from_json(const std::string& text, const std::string& what) {
  Json d = unsealed(text, what);
  Manifest m;
  try {
    BackupInfo& i = m.info;
    i.id = d.at("id");
    i.type = d.at("type");
    i.parent = d.at("parent");
    i.created_at = d.at("created_at");
    i.db = d.at("db");
    i.namespaces = d.at("namespaces").get<std::vector<std::string>>();
    i.key_count = d.at("key_count");
    i.compressed = d.at("compressed");
    m.live_files = d.at("live_files").get<std::vector<std::string>>();
    m.logical = d.value("logical", false);  // absent from the first physical manifests
    m.snapshot_ms = d.value("snapshot_ms", std::int64_t{0});
    for (const auto& f : d.at("files")) {
      m.files.push_back(ManifestFile{f.at("name"), f.at("size"), f.at("sha256"), f.at("compressed"),
                                     f.at("raw_size"), f.at("raw_sha256")});
      i.stored_bytes += m.files.back().size;
    }
    i.file_count = m.files.size();
  } catch (const Json::exception& e) {
    throw Corruption(what + " is malformed: " + e.what());
  }
  return m;
}

std::string index_to_json(const std::vector<std::string>& ids) {
  return sealed({{"format_version", kBackupFormatVersion}, {"backups", ids}});
}

std::vector<std::string> index_from_json(const std::string& text, const std::string& what) {
  Json d = unsealed(text, what);
  try {
    return d.at("backups").get<std::vector<std::string>>();
  } catch (const Json::exception& e) {
    throw Corruption(what + " is malformed: " + e.what());
  }
}

}  // namespace nadb::backup
