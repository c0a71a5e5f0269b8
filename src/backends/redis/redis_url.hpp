// The redis:// URL form of RedisOptions.
#pragma once

#include <string_view>

#include "nadb/options.hpp"

namespace nadb::backends::redis {

// Fills host, port, database, username and password of options from
// redis://[user:password@]host[:port][/database] (user may be empty: redis://:pw@host).
// Throws InvalidArgument naming what is wrong; options is unchanged then.
void apply_url(std::string_view url, RedisOptions& options);

}  // namespace nadb::backends::redis
