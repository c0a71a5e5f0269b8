// The Lua scripts of the redis backend, embedded at build time from lua/*.lua
// (see CMakeLists.txt). common.lua is prepended to each of the others.
#pragma once

namespace nadb::backends::redis::lua {

extern const char* const common;
extern const char* const apply;
extern const char* const sweep;
extern const char* const clear;
extern const char* const scan;
extern const char* const query;
extern const char* const swap;
extern const char* const drop;

}  // namespace nadb::backends::redis::lua
