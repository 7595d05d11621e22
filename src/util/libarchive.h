// libarchive, loaded (dlopen) when an archive is first read or written rather than linked, so
// that commands touching no archive do not pay for loading it and its libraries at start-up.
// Callers include <archive.h> / <archive_entry.h> and call archive_* as usual: util/libarchive.cpp
// defines those functions and forwards each to the loaded library. Only the functions xbuild
// and its tests call are defined; a new one goes into its table (a missing one fails to link).
#pragma once

#include "util/error.h"

namespace xb {

// Loads libarchive once for the process (thread-safe) and checks that every function xbuild
// calls is there; the same result on every later call. Fails, saying what to install, when it
// cannot be loaded or lacks a function. Every entry point that reads or writes an archive calls
// it before its first archive_* call: calling one before a successful require_libarchive() is a
// programming error, and the forwarding function aborts the process with a message on stderr.
Status require_libarchive();

}  // namespace xb
