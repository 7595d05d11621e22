// The QEMU catalog: every qemu/*.toml read once, in name order.
//
// Each file holds six string keys (arch, platform, interpreter, package, magic, mask) and
// nothing else. A file is read through a TomlReader (config/toml_reader.h) and checked key by
// key; an unknown key, a missing key, a value of the wrong type, a platform that does not parse,
// or a magic/mask that is not a run of \xNN escapes of equal length becomes a Diagnostic
// (file:line:col, the line and a caret, as xbuild.toml's errors look), and reading carries on,
// so one load reports every problem in every file. These files' messages are shorter than
// xbuild.toml's: every key is a top-level string.
#include "emulate/qemu_catalog.h"

#include <algorithm>
#include <optional>
#include <variant>

#include "config/config.h"
#include "config/toml_reader.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kKeys = {"arch", "platform", "interpreter", "package", "magic", "mask"};

void check_keys(TomlReader& reader, const TomlTable& root) {
  for (const TomlEntry& entry : root.entries()) {
    if (std::find(kKeys.begin(), kKeys.end(), entry.key) != kKeys.end()) continue;
    std::string hint = closest_match(entry.key, kKeys);
    reader.report(entry.key_position,
                  "unknown key \"" + entry.key + "\"" +
                      (hint.empty() ? "; valid keys are " + join(kKeys, ", ") : "; did you mean \"" + hint + "\"?"));
  }
}

std::optional<std::string> string_at(TomlReader& reader, const TomlTable& root, const std::string& key) {
  const TomlValue* value = root.get(key);
  if (!value) {
    reader.report(TomlPosition{1, 1}, "missing required key \"" + key + "\"");
    return std::nullopt;
  }
  const std::string* text = value->as_string();
  if (!text || text->empty()) {
    reader.report(*value, "\"" + key + "\" must be a non-empty string");
    return std::nullopt;
  }
  return *text;
}

void check_bytes(TomlReader& reader, const TomlTable& root, const std::string& key, const std::string& value) {
  Result<std::string> bytes = decode_binfmt_bytes(value);
  if (!bytes) reader.report(*root.get(key), "\"" + key + "\": " + bytes.error());
}

// The entry of one file, or nullopt when anything in it was wrong (and reported).
std::optional<QemuArch> read_arch(TomlReader& reader, const TomlTable& root, const fs::path& source) {
  std::size_t before = reader.error_count();
  check_keys(reader, root);
  QemuArch arch;
  arch.source = source;
  arch.arch = string_at(reader, root, "arch").value_or("");
  if (std::optional<std::string> text = string_at(reader, root, "platform")) {
    Result<Platform> platform = parse_platform(*text);
    if (platform)
      arch.platform = platform.value();
    else
      reader.report(*root.get("platform"), platform.error());
  }
  arch.interpreter = string_at(reader, root, "interpreter").value_or("");
  if (!arch.interpreter.empty() && !arch.interpreter.is_absolute())
    reader.report(*root.get("interpreter"),
                  "\"interpreter\" must be an absolute path (the F flag opens it at registration)");
  arch.package = string_at(reader, root, "package").value_or("");
  std::optional<std::string> magic = string_at(reader, root, "magic");
  std::optional<std::string> mask = string_at(reader, root, "mask");
  if (magic) check_bytes(reader, root, "magic", *magic);
  if (mask) check_bytes(reader, root, "mask", *mask);
  if (magic && mask && decode_binfmt_bytes(*magic) && decode_binfmt_bytes(*mask)) {
    if (decode_binfmt_bytes(*magic).value().size() != decode_binfmt_bytes(*mask).value().size())
      reader.report(*root.get("mask"), "\"mask\" must be as long as \"magic\"");
  }
  arch.magic = magic.value_or("");
  arch.mask = mask.value_or("");
  if (reader.error_count() != before) return std::nullopt;
  return arch;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<std::string> decode_binfmt_bytes(const std::string& escaped) {
  std::string bytes;
  for (std::size_t i = 0; i < escaped.size();) {
    if (escaped[i] == '\\') {
      if (i + 3 >= escaped.size())
        return fail("incomplete escape at offset " + std::to_string(i) + "; write each byte as \\xNN");
      if (escaped[i + 1] != 'x' || hex_value(escaped[i + 2]) < 0 || hex_value(escaped[i + 3]) < 0)
        return fail("bad escape at offset " + std::to_string(i) + "; write each byte as \\xNN");
      bytes += static_cast<char>(hex_value(escaped[i + 2]) * 16 + hex_value(escaped[i + 3]));
      i += 4;
    } else if (escaped[i] == ':' || static_cast<unsigned char>(escaped[i]) < 0x21 ||
               static_cast<unsigned char>(escaped[i]) > 0x7e) {
      return fail("character at offset " + std::to_string(i) + " must be written as \\xNN");
    } else {
      bytes += escaped[i++];
    }
  }
  if (bytes.empty()) return fail("no bytes");
  return bytes;
}

Result<QemuCatalog> QemuCatalog::load(const fs::path& directory) {
  QemuCatalog catalog;
  Result<std::size_t> read = read_toml_files(
      directory, "cannot read the QEMU catalog " + directory.string(), [&](TomlReader& reader, const fs::path& file) {
        std::variant<TomlTable, TomlSyntaxError> parsed = parse_toml(reader.text(), file.string());
        if (const TomlSyntaxError* error = std::get_if<TomlSyntaxError>(&parsed)) {
          reader.report(error->position, "TOML syntax error: " + error->description);
        } else if (std::optional<QemuArch> arch = read_arch(reader, std::get<TomlTable>(parsed), file)) {
          if (const QemuArch* first = catalog.find_arch(arch->arch))
            reader.report(*std::get<TomlTable>(parsed).get("arch"),
                          "arch \"" + arch->arch + "\" is already described by " + first->source.string());
          else
            catalog.arches_.push_back(std::move(*arch));
        }
      });
  if (!read) return fail(read.error());
  if (catalog.arches_.empty())
    return fail("no QEMU architectures in " + directory.string() + " (expected qemu/<arch>.toml files)");
  return catalog;
}

const QemuArch* QemuCatalog::find_arch(const std::string& arch) const {
  for (const QemuArch& entry : arches_)
    if (entry.arch == arch) return &entry;
  return nullptr;
}

const QemuArch* QemuCatalog::find(const Platform& platform) const {
  for (const QemuArch& entry : arches_) {
    if (entry.platform.os == platform.os && entry.platform.architecture == platform.architecture &&
        (entry.platform.variant == platform.variant || platform.architecture == "arm"))
      return &entry;
  }
  return nullptr;
}

}  // namespace xb
