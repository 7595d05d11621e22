// libarchive is not linked but loaded (util/shared_library.h) by require_libarchive(), which the
// code that packs a layer, writes an OCI archive or unpacks a root filesystem calls first. With
// the libraries it brings (libxml2, ICU, nettle, acl, lzma, zstd, lz4, bz2: 10 shared objects,
// half of what xbuild loaded) it would cost every start, `xbuild --version` as much as a cached
// no-op `xbuild run`, which touches no archive.
// Callers keep calling archive_write_new() and the rest: this file defines those functions with
// C linkage, so the linker takes them and needs no libarchive, and each forwards through the
// table of the library's own functions load_api() fills. The executable does not export them
// (no -rdynamic), so the loaded library's internal calls still bind to its own functions. The
// header still gives the types and constants, and the compiler checks every forwarding
// definition against its declaration there.
#include "util/libarchive.h"

#include <archive.h>
#include <archive_entry.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "util/shared_library.h"

// Every archive_* function xbuild calls, as X(return type, name, parameters, arguments); the
// last group only the unit tests call, to build and read back archives. Not clang-formatted: it
// would read the parameter lists as multiplications.
// clang-format off
#define XB_LIBARCHIVE_FUNCTIONS(X)                                                                                 \
  X(archive*, archive_read_new, (void), ())                                                                        \
  X(int, archive_read_free, (archive* a), (a))                                                                     \
  X(int, archive_read_support_filter_all, (archive* a), (a))                                                       \
  X(int, archive_read_support_format_tar, (archive* a), (a))                                                       \
  X(int, archive_read_support_format_gnutar, (archive* a), (a))                                                    \
  X(int, archive_read_open_filename, (archive* a, const char* name, size_t block_size), (a, name, block_size))     \
  X(int, archive_read_open,                                                                                        \
    (archive* a, void* data, archive_open_callback* open, archive_read_callback* read, archive_close_callback* close), \
    (a, data, open, read, close))                                                                                  \
  X(int, archive_read_next_header, (archive* a, archive_entry** entry), (a, entry))                                \
  X(int, archive_read_data_block, (archive* a, const void** block, size_t* size, la_int64_t* offset),              \
    (a, block, size, offset))                                                                                      \
  X(archive*, archive_write_new, (void), ())                                                                       \
  X(archive*, archive_write_disk_new, (void), ())                                                                  \
  X(int, archive_write_free, (archive* a), (a))                                                                    \
  X(int, archive_write_set_format_pax_restricted, (archive* a), (a))                                               \
  X(int, archive_write_set_format_option, (archive* a, const char* module, const char* option, const char* value), \
    (a, module, option, value))                                                                                    \
  X(int, archive_write_add_filter_none, (archive* a), (a))                                                         \
  X(int, archive_write_set_bytes_in_last_block, (archive* a, int bytes), (a, bytes))                               \
  X(int, archive_write_open2,                                                                                      \
    (archive* a, void* data, archive_open_callback* on_open, archive_write_callback* on_write,                     \
     archive_close_callback* on_close, archive_free_callback* on_free),                                            \
    (a, data, on_open, on_write, on_close, on_free))                                                               \
  X(int, archive_write_open_fd, (archive* a, int fd), (a, fd))                                                     \
  X(int, archive_write_disk_set_options, (archive* a, int flags), (a, flags))                                      \
  X(int, archive_write_disk_set_standard_lookup, (archive* a), (a))                                                \
  X(int, archive_write_header, (archive* a, archive_entry* entry), (a, entry))                                     \
  X(la_ssize_t, archive_write_data, (archive* a, const void* data, size_t size), (a, data, size))                  \
  X(la_ssize_t, archive_write_data_block, (archive* a, const void* data, size_t size, la_int64_t offset),          \
    (a, data, size, offset))                                                                                       \
  X(int, archive_write_finish_entry, (archive* a), (a))                                                            \
  X(int, archive_write_close, (archive* a), (a))                                                                   \
  X(const char*, archive_error_string, (archive* a), (a))                                                          \
  X(archive_entry*, archive_entry_new, (void), ())                                                                 \
  X(void, archive_entry_free, (archive_entry* entry), (entry))                                                     \
  X(const char*, archive_entry_pathname, (archive_entry* entry), (entry))                                          \
  X(const char*, archive_entry_hardlink, (archive_entry* entry), (entry))                                          \
  X(__LA_MODE_T, archive_entry_filetype, (archive_entry* entry), (entry))                                          \
  X(void, archive_entry_copy_pathname, (archive_entry* entry, const char* name), (entry, name))                    \
  X(void, archive_entry_set_pathname, (archive_entry* entry, const char* name), (entry, name))                     \
  X(void, archive_entry_set_hardlink, (archive_entry* entry, const char* target), (entry, target))                 \
  X(void, archive_entry_copy_symlink, (archive_entry* entry, const char* target), (entry, target))                 \
  X(void, archive_entry_set_filetype, (archive_entry* entry, unsigned int type), (entry, type))                    \
  X(void, archive_entry_set_perm, (archive_entry* entry, __LA_MODE_T perm), (entry, perm))                         \
  X(void, archive_entry_set_size, (archive_entry* entry, la_int64_t size), (entry, size))                          \
  X(void, archive_entry_set_uid, (archive_entry* entry, la_int64_t uid), (entry, uid))                             \
  X(void, archive_entry_set_gid, (archive_entry* entry, la_int64_t gid), (entry, gid))                             \
  X(void, archive_entry_set_mtime, (archive_entry* entry, time_t seconds, long nanoseconds),                       \
    (entry, seconds, nanoseconds))                                                                                 \
  /* the unit tests' */                                                                                            \
  X(int, archive_read_support_format_all, (archive* a), (a))                                                       \
  X(int, archive_read_open_memory, (archive* a, const void* data, size_t size), (a, data, size))                   \
  X(la_ssize_t, archive_read_data, (archive* a, void* data, size_t size), (a, data, size))                         \
  X(int, archive_write_open_filename, (archive* a, const char* name), (a, name))                                   \
  X(__LA_MODE_T, archive_entry_perm, (archive_entry* entry), (entry))                                              \
  X(la_int64_t, archive_entry_uid, (archive_entry* entry), (entry))                                                \
  X(la_int64_t, archive_entry_gid, (archive_entry* entry), (entry))                                                \
  X(const char*, archive_entry_uname, (archive_entry* entry), (entry))                                             \
  X(const char*, archive_entry_gname, (archive_entry* entry), (entry))                                             \
  X(time_t, archive_entry_mtime, (archive_entry* entry), (entry))                                                  \
  X(int, archive_entry_atime_is_set, (archive_entry* entry), (entry))                                              \
  X(int, archive_entry_ctime_is_set, (archive_entry* entry), (entry))                                              \
  X(const char*, archive_entry_symlink, (archive_entry* entry), (entry))                                           \
  X(void, archive_entry_set_symlink, (archive_entry* entry, const char* target), (entry, target))                  \
  X(void, archive_entry_set_rdev, (archive_entry* entry, dev_t rdev), (entry, rdev))
// clang-format on

namespace xb {

namespace {

// The soname of libarchive's ABI (13 since 3.0); Debian's libarchive13 package installs it.
constexpr SharedLibrary kLibarchive = {"libarchive", "libarchive.so.13",
                                       "packing and unpacking tar archives needs libarchive",
                                       "install libarchive 3.6 or newer (Debian: apt-get install libarchive13)"};

struct LibarchiveApi {
#define XB_MEMBER(type, name, params, args) decltype(&::name) name = nullptr;
  XB_LIBARCHIVE_FUNCTIONS(XB_MEMBER)
#undef XB_MEMBER

  std::vector<LibrarySymbol> symbols() {
#define XB_SYMBOL(type, name, params, args) {#name, name},
    return {XB_LIBARCHIVE_FUNCTIONS(XB_SYMBOL)};
#undef XB_SYMBOL
  }
};

// Set once, when the library is loaded and every function found; read by every forwarder.
std::atomic<const LibarchiveApi*> loaded_api{nullptr};

// The table for a forwarder; aborts when require_libarchive() has not loaded it (a caller that
// forgot to call it: no error can be returned through libarchive's own signatures).
const LibarchiveApi& libarchive_api(const char* function) {
  const LibarchiveApi* api = loaded_api.load(std::memory_order_acquire);
  if (!api) {
    std::fprintf(stderr, "xbuild: internal error: %s() called before require_libarchive() loaded libarchive\n",
                 function);
    std::abort();
  }
  return *api;
}

}  // namespace

Status require_libarchive() {
  const Result<const LibarchiveApi*>& api = load_api<LibarchiveApi>(kLibarchive);
  if (!api) return fail(api.error());
  loaded_api.store(api.value(), std::memory_order_release);
  return Ok{};
}

}  // namespace xb

#define XB_FORWARD(type, name, params, args) \
  extern "C" type name params { return xb::libarchive_api(#name).name args; }
XB_LIBARCHIVE_FUNCTIONS(XB_FORWARD)
#undef XB_FORWARD
