// Shared libraries loaded (dlopen) when first needed rather than linked, so that commands that
// never need one do not pay for loading it and the libraries it brings at start-up. A caller
// describes the library (SharedLibrary) and keeps a table of the functions it calls (Api); the
// library's header still gives the types, constants and the functions' signatures.
#pragma once

#include <span>
#include <vector>

#include "util/error.h"

namespace xb {

// A library and what to tell the user when it cannot be used.
struct SharedLibrary {
  const char* name;          // "libcurl"
  const char* soname;        // "libcurl.so.4": the ABI the header describes
  const char* needed_for;    // "registry transfers need libcurl"
  const char* install_hint;  // "install libcurl 7.85 or newer (Debian: apt-get install libcurl4)"
};

// One function to look up: its name and the table member that receives its address.
class LibrarySymbol {
 public:
  template <class Function>
  LibrarySymbol(const char* name, Function*& slot)
      : name_(name),
        slot_(&slot),
        store_([](void* to, void* address) { *static_cast<Function**>(to) = reinterpret_cast<Function*>(address); }) {}

  const char* name() const { return name_; }
  void store(void* address) const { store_(slot_, address); }

 private:
  const char* name_;
  void* slot_;
  void (*store_)(void* slot, void* address);
};

// Opens `library` (RTLD_NOW | RTLD_LOCAL, kept loaded for the life of the process) and stores
// every symbol's address in its slot. Fails, saying what to install, with
// "<needed_for>, and it cannot be loaded: <dlerror>; <install_hint>" or
// "the <name> found (<soname>) lacks f, g; <install_hint>".
Status load_shared_library(const SharedLibrary& library, std::span<const LibrarySymbol> symbols);

// The table `Api` of `library`, loaded on the first call and the same result on every later
// one (thread-safe: a function-local static). `Api` is default-constructible and names its
// members in `std::vector<LibrarySymbol> symbols()`.
template <class Api>
const Result<const Api*>& load_api(const SharedLibrary& library) {
  static const Result<const Api*> loaded = [&library]() -> Result<const Api*> {
    static Api api;
    std::vector<LibrarySymbol> symbols = api.symbols();
    if (Status status = load_shared_library(library, symbols); !status) return fail(status.error());
    return static_cast<const Api*>(&api);
  }();
  return loaded;
}

}  // namespace xb
