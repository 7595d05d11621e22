#include "util/shared_library.h"

#include <dlfcn.h>

#include <string>

namespace xb {

Status load_shared_library(const SharedLibrary& library, std::span<const LibrarySymbol> symbols) {
  void* handle = ::dlopen(library.soname, RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    return fail(std::string(library.needed_for) + ", and it cannot be loaded: " + ::dlerror() + "; " +
                library.install_hint);
  std::string missing;
  for (const LibrarySymbol& symbol : symbols) {
    void* address = ::dlsym(handle, symbol.name());
    if (!address) missing += (missing.empty() ? "" : ", ") + std::string(symbol.name());
    symbol.store(address);
  }
  if (!missing.empty())
    return fail(std::string("the ") + library.name + " found (" + library.soname + ") lacks " + missing + "; " +
                library.install_hint);
  return Ok{};
}

}  // namespace xb
