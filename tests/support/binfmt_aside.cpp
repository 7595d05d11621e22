#include "support/binfmt_aside.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "util/fs.h"
#include "util/strings.h"

namespace xb::testing {

namespace fs = std::filesystem;

namespace {

const fs::path kRoot = "/proc/sys/fs/binfmt_misc";

// "7f45..." as binfmt_misc's register syntax wants it: "\x7f\x45...".
std::string escaped(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out += "\\x" + hex.substr(i, 2);
  return out;
}

// The value after `key` on its line of a handler's status text ("" when absent).
std::string field(const std::string& text, const std::string& key) {
  for (const std::string& line : split(text, '\n'))
    if (starts_with(line, key)) return line.substr(key.size());
  return "";
}

}  // namespace

BinfmtAside::BinfmtAside(const std::string& magic_hex) {
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(kRoot, error)) {
    std::string name = entry.path().filename().string();
    if (!starts_with(name, "xbuild-qemu-")) continue;
    Result<std::string> text = read_file(entry.path());
    if (!text || field(text.value(), "magic ") != magic_hex) continue;
    saved_.push_back({name, text.value()});
    std::ofstream(entry.path()) << "-1";
  }
}

BinfmtAside::~BinfmtAside() {
  for (const Saved& handler : saved_) {
    if (fs::exists(kRoot / handler.name)) continue;  // a run of the test registered it again
    std::string flags = field(handler.text, "flags: ");
    std::ofstream(kRoot / "register") << ":" << handler.name << ":M:" << field(handler.text, "offset ") << ":"
                                      << escaped(field(handler.text, "magic ")) << ":"
                                      << escaped(field(handler.text, "mask ")) << ":"
                                      << field(handler.text, "interpreter ") << ":" << flags;
  }
}

}  // namespace xb::testing
