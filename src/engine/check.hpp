// check_folder: what `nadb check` verifies of a db folder, reading only.
#pragma once

#include <string>

#include "nadb/check.hpp"

namespace nadb::engine {

// Holds the folder's lock while it reads (Locked if another process has it open).
CheckReport check_folder(const std::string& dir);

}  // namespace nadb::engine
