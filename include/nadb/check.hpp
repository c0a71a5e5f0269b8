// Checking and repairing an fs db that no process has open (`nadb check`, `nadb repair`).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nadb/options.hpp"

namespace nadb {

struct CheckReport {
  bool ok = true;                     // no problem found
  std::vector<std::string> problems;  // damage: records, hints or marks that are wrong
  std::vector<std::string> notes;     // harmless: a torn tail, bytes kept aside earlier
  std::size_t segments = 0;
  std::size_t records = 0;  // put and delete records read
  std::size_t hints = 0;    // hint files compared with their segments
  std::uint64_t bytes = 0;  // segment bytes read
};

struct RepairReport {
  std::uint64_t torn_bytes = 0;     // left out as a torn tail (kept beside the segment)
  std::uint64_t damaged_bytes = 0;  // left out as damaged records (kept beside the segment)
  std::size_t keys = 0;             // live keys afterwards, all namespaces
  CheckReport after;                // check_db once repaired
};

// Reads every record of every segment of options.db (fs backend), every hint file against its
// segment, and the high-water marks, changing nothing (but the LOCK file's pid); then, through
// a read-only view, whether every value compressed with a dictionary finds it intact (a
// problem names the namespace, the dictionary and how many values cannot be read). Throws
// Locked when a process has the db open, NotFound when there is no such db, IOError,
// InvalidArgument for options naming another backend.
CheckReport check_db(const Options& options);

// Opens the db with RecoveryMode::SkipDamagedRecords and rewrites every segment (a full
// compaction): every intact record is kept, torn and damaged bytes stay beside their segments
// (<segment>.<offset>.torn / .damaged) and are counted in the report. Throws as check_db.
RepairReport repair_db(const Options& options);

}  // namespace nadb
