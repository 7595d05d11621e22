// The QEMU catalog: every qemu/*.toml read once, in name order.
//
// Each file holds six string keys (arch, platform, interpreter, package, magic, mask) and
// nothing else. A file is parsed with toml++ and checked key by key; an unknown key, a missing
// key, a value of the wrong type, a platform that does not parse, or a magic/mask that is not a
// run of \xNN escapes of equal length becomes a Diagnostic (file:line:col, the line and a
// caret, as xbuild.toml's errors look), and reading carries on, so one load reports every
// problem in every file.
#include "emulate/qemu_catalog.h"

#include <algorithm>
#include <optional>

#include "config/config.h"
#include "config/toml_support.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kKeys = {"arch", "platform", "interpreter", "package", "magic", "mask"};

class QemuFileReader {
 public:
  QemuFileReader(std::string_view text, const fs::path& file, std::vector<Diagnostic>& diagnostics)
      : file_(file.string()), lines_(split_source_lines(text)), diagnostics_(diagnostics) {}

  std::optional<QemuArch> read(const toml::table& root, const fs::path& source) {
    std::size_t before = diagnostics_.size();
    for (auto&& [key, value] : root) {
      if (std::find(kKeys.begin(), kKeys.end(), key.str()) != kKeys.end()) continue;
      std::string hint = closest_match(key.str(), kKeys);
      report(key.source().begin,
             "unknown key \"" + std::string(key.str()) + "\"" +
                 (hint.empty() ? "; valid keys are " + join(kKeys, ", ") : "; did you mean \"" + hint + "\"?"));
    }
    QemuArch arch;
    arch.source = source;
    arch.arch = string_at(root, "arch").value_or("");
    if (std::optional<std::string> text = string_at(root, "platform")) {
      Result<Platform> platform = parse_platform(*text);
      if (platform)
        arch.platform = platform.value();
      else
        report(root.get("platform")->source().begin, platform.error());
    }
    arch.interpreter = string_at(root, "interpreter").value_or("");
    if (!arch.interpreter.empty() && !arch.interpreter.is_absolute())
      report(root.get("interpreter")->source().begin,
             "\"interpreter\" must be an absolute path (the F flag opens it at registration)");
    arch.package = string_at(root, "package").value_or("");
    std::optional<std::string> magic = string_at(root, "magic");
    std::optional<std::string> mask = string_at(root, "mask");
    if (magic) check_bytes(root, "magic", *magic);
    if (mask) check_bytes(root, "mask", *mask);
    if (magic && mask && decode_binfmt_bytes(*magic) && decode_binfmt_bytes(*mask)) {
      if (decode_binfmt_bytes(*magic).value().size() != decode_binfmt_bytes(*mask).value().size())
        report(root.get("mask")->source().begin, "\"mask\" must be as long as \"magic\"");
    }
    arch.magic = magic.value_or("");
    arch.mask = mask.value_or("");
    if (diagnostics_.size() != before) return std::nullopt;
    return arch;
  }

  void report(const toml::source_position& at, std::string message) {
    diagnostics_.push_back(diagnostic_at(file_, lines_, at, std::move(message)));
  }

 private:
  std::optional<std::string> string_at(const toml::table& table, const std::string& key) {
    const toml::node* node = table.get(key);
    if (!node) {
      report(toml::source_position{1, 1}, "missing required key \"" + key + "\"");
      return std::nullopt;
    }
    if (!node->is_string() || node->as_string()->get().empty()) {
      report(node->source().begin, "\"" + key + "\" must be a non-empty string");
      return std::nullopt;
    }
    return node->as_string()->get();
  }

  void check_bytes(const toml::table& table, const std::string& key, const std::string& value) {
    Result<std::string> bytes = decode_binfmt_bytes(value);
    if (!bytes) report(table.get(key)->source().begin, "\"" + key + "\": " + bytes.error());
  }

  std::string file_;
  std::vector<std::string> lines_;
  std::vector<Diagnostic>& diagnostics_;
};

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
  std::error_code ec;
  std::vector<fs::path> files;
  for (const fs::directory_entry& entry : fs::directory_iterator(directory, ec))
    if (entry.path().extension() == ".toml") files.push_back(entry.path());
  if (ec) return fail("cannot read the QEMU catalog " + directory.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());

  QemuCatalog catalog;
  std::vector<Diagnostic> diagnostics;
  for (const fs::path& file : files) {
    Result<std::string> text = read_file(file);
    if (!text) {
      diagnostics.push_back(Diagnostic{SourceLocation{file.string(), 0, 0}, text.error(), ""});
      continue;
    }
    QemuFileReader reader(text.value(), file, diagnostics);
    toml::table parsed;
    try {
      parsed = toml::parse(text.value(), file.string());
    } catch (const toml::parse_error& error) {
      reader.report(error.source().begin, "TOML syntax error: " + std::string(error.description()));
      continue;
    }
    if (std::optional<QemuArch> arch = reader.read(parsed, file)) {
      if (catalog.find_arch(arch->arch)) {
        reader.report(parsed.get("arch")->source().begin, "arch \"" + arch->arch + "\" is already described by " +
                                                              catalog.find_arch(arch->arch)->source.string());
        continue;
      }
      catalog.arches_.push_back(std::move(*arch));
    }
  }
  if (!diagnostics.empty()) {
    std::string message;
    for (const Diagnostic& diagnostic : diagnostics) message += diagnostic.render();
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return fail(message);
  }
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
