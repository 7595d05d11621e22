// binfmt_misc registration through its files, as QEMU's qemu-binfmt-conf.sh and
// tonistiigi/binfmt do it: one line ":name:M:0:magic:mask:interpreter:F" written to
// <root>/register adds a handler, "-1" written to <root>/<name> removes it, and <root>/<name>
// reads back as "enabled / interpreter / flags / offset / magic / mask" lines. The F flag makes
// the kernel open the interpreter at registration, so it still runs inside a chroot that has
// no /usr/bin/qemu-*-static. A foreign handler is one whose name is not ours but whose
// masked magic is the same as ours: it already claims these binaries, so we do not add a
// second handler beside it (which one the kernel would pick is an accident of order).
#include "emulate/binfmt.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "emulate/elf_probe.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

std::string to_hex(const std::string& bytes) {
  std::string out;
  for (char c : bytes) out += fmt::format("{:02x}", static_cast<unsigned char>(c));
  return out;
}

// The magic as the kernel stores it: each byte ANDed with the mask.
std::string masked_magic_hex(const QemuArch& arch) {
  Result<std::string> magic = decode_binfmt_bytes(arch.magic);
  Result<std::string> mask = decode_binfmt_bytes(arch.mask);
  if (!magic || !mask) return "";
  std::string bytes = magic.value();
  for (std::size_t i = 0; i < bytes.size() && i < mask.value().size(); ++i) bytes[i] &= mask.value()[i];
  return to_hex(bytes);
}

Status write_control(const fs::path& file, const std::string& text) {
  int fd = open(file.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return fail("cannot open " + file.string() + ": " + std::strerror(errno));
  ssize_t written = write(fd, text.data(), text.size());
  int saved = errno;
  close(fd);
  if (written != static_cast<ssize_t>(text.size()))
    return fail("cannot write to " + file.string() + ": " + std::strerror(saved));
  return Ok{};
}

std::string describe(const BinfmtEntry& entry) {
  return entry.interpreter + ", flags " + (entry.flags.empty() ? "none" : entry.flags) +
         (entry.enabled ? "" : ", disabled");
}

bool runs_natively(const QemuArch& arch) { return PlatformMatcher(host_platform()).matches(arch.platform); }

}  // namespace

std::string handler_name(const QemuArch& arch, const BinfmtOptions& options) {
  return options.prefix + "qemu-" + arch.arch;
}

std::string register_line(const QemuArch& arch, const std::string& name) {
  return ":" + name + ":M:0:" + arch.magic + ":" + arch.mask + ":" + arch.interpreter.string() + ":F";
}

BinfmtEntry parse_entry(const std::string& name, const std::string& text) {
  BinfmtEntry entry;
  entry.name = name;
  for (const std::string& raw : split(text, '\n')) {
    std::string line(trim(raw));
    if (line == "enabled")
      entry.enabled = true;
    else if (starts_with(line, "interpreter "))
      entry.interpreter = line.substr(12);
    else if (starts_with(line, "flags:"))
      entry.flags = std::string(trim(line.substr(6)));
    else if (starts_with(line, "magic "))
      entry.magic_hex = line.substr(6);
    else if (starts_with(line, "mask "))
      entry.mask_hex = line.substr(5);
  }
  return entry;
}

Status ensure_binfmt_mounted(const BinfmtOptions& options) {
  if (fs::exists(options.root / "status")) return Ok{};
  if (mount("binfmt_misc", options.root.c_str(), "binfmt_misc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
    return fail("cannot mount binfmt_misc on " + options.root.string() + ": " + std::strerror(errno) +
                "; try: mount -t binfmt_misc binfmt_misc " + options.root.string());
  return Ok{};
}

std::vector<BinfmtEntry> list_handlers(const BinfmtOptions& options) {
  std::vector<BinfmtEntry> entries;
  std::error_code ec;
  std::vector<fs::path> files;
  for (const fs::directory_entry& file : fs::directory_iterator(options.root, ec)) {
    std::string name = file.path().filename().string();
    if (name != "register" && name != "status") files.push_back(file.path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    Result<std::string> text = read_file(file);
    if (text) entries.push_back(parse_entry(file.filename().string(), text.value()));
  }
  return entries;
}

std::optional<BinfmtEntry> own_handler(const QemuArch& arch, const std::vector<BinfmtEntry>& all,
                                       const BinfmtOptions& options) {
  for (const BinfmtEntry& entry : all)
    if (entry.name == handler_name(arch, options)) return entry;
  return std::nullopt;
}

std::optional<BinfmtEntry> foreign_handler(const QemuArch& arch, const std::vector<BinfmtEntry>& all,
                                           const BinfmtOptions& options) {
  std::string magic = masked_magic_hex(arch);
  for (const BinfmtEntry& entry : all) {
    if (entry.name == handler_name(arch, options)) continue;
    if (!magic.empty() && entry.magic_hex == magic) return entry;
  }
  return std::nullopt;
}

std::optional<std::string> root_problem(const std::string& what) {
  if (geteuid() == 0) return std::nullopt;
  return what + " needs root (binfmt_misc handlers are system-wide); run it as root, e.g. with sudo";
}

Result<std::string> install_handler(const QemuArch& arch, bool persistent, const BinfmtOptions& options) {
  std::string name = handler_name(arch, options);
  if (runs_natively(arch)) return arch.arch + ": runs natively on this host; nothing to register";
  if (std::optional<std::string> problem = root_problem("registering " + name)) return fail(*problem);
  if (access(arch.interpreter.c_str(), X_OK) != 0)
    return fail(arch.arch + ": the interpreter " + arch.interpreter.string() +
                " is missing; install it: apt-get install --no-install-recommends " + arch.package);
  if (Status mounted = ensure_binfmt_mounted(options); !mounted) return fail(mounted.error());

  std::vector<BinfmtEntry> all = list_handlers(options);
  std::string message;
  std::optional<BinfmtEntry> ours = own_handler(arch, all, options);
  if (ours && ours->enabled && ours->flags.find('F') != std::string::npos && ours->interpreter == arch.interpreter) {
    message = arch.arch + ": " + name + " is already registered (" + describe(*ours) + ")";
  } else if (std::optional<BinfmtEntry> theirs = foreign_handler(arch, all, options); theirs && !ours) {
    return arch.arch + ": left alone: " + theirs->name +
           " (not registered by xbuild) already handles these binaries (" + describe(*theirs) + ")";
  } else {
    if (ours) {
      if (Status removed = write_control(options.root / name, "-1"); !removed) return fail(removed.error());
    }
    if (Status added = write_control(options.root / "register", register_line(arch, name)); !added)
      return fail(added.error());
    message = arch.arch + ": registered " + name + " (" + arch.interpreter.string() + ", flags F)";
  }
  if (persistent) {
    std::error_code ec;
    fs::create_directories(options.persistent_dir, ec);
    fs::path file = options.persistent_dir / (name + ".conf");
    std::string content = "# Written by `xbuild binfmt install --persistent`; removed by `xbuild binfmt uninstall`.\n" +
                          register_line(arch, name) + "\n";
    if (Status written = write_file_atomic(file, content); !written) return fail(written.error());
    message += "; wrote " + file.string();
  }
  return message;
}

Result<std::string> uninstall_handler(const QemuArch& arch, const BinfmtOptions& options) {
  std::string name = handler_name(arch, options);
  fs::path persistent_file = options.persistent_dir / (name + ".conf");
  std::error_code ec;
  bool has_file = fs::exists(persistent_file, ec);
  std::optional<BinfmtEntry> ours = own_handler(arch, list_handlers(options), options);
  if (!ours && !has_file) return arch.arch + ": " + name + " is not registered; nothing to remove";
  if (std::optional<std::string> problem = root_problem("removing " + name)) return fail(*problem);
  std::vector<std::string> done;
  if (ours) {
    if (Status removed = write_control(options.root / name, "-1"); !removed) return fail(removed.error());
    done.push_back("removed " + name);
  }
  if (has_file) {
    fs::remove(persistent_file, ec);
    if (ec) return fail("cannot remove " + persistent_file.string() + ": " + ec.message());
    done.push_back("removed " + persistent_file.string());
  }
  return arch.arch + ": " + join(done, "; ");
}

std::string render_binfmt_status(const QemuCatalog& catalog, const BinfmtOptions& options) {
  std::vector<BinfmtEntry> all = list_handlers(options);
  std::vector<std::vector<std::string>> rows = {{"ARCH", "PLATFORM", "HANDLER", "INTERPRETER", "FLAGS", "PROBE"}};
  for (const QemuArch& arch : catalog.all()) {
    std::optional<BinfmtEntry> entry = own_handler(arch, all, options);
    if (!entry) entry = foreign_handler(arch, all, options);
    std::string handler = "-", interpreter = "-", flags = "-";
    if (entry) {
      handler = entry->name + (entry->name == handler_name(arch, options) ? "" : " (not xbuild's)") +
                (entry->enabled ? "" : " (disabled)");
      interpreter = entry->interpreter;
      flags = entry->flags.empty() ? "none" : entry->flags;
    }
    std::string probe = probe_runs(arch.arch) ? (entry                 ? "runs"
                                                 : runs_natively(arch) ? "runs (natively)"
                                                                       : "runs")
                                              : "does not run";
    rows.push_back({arch.arch, arch.platform.str(), handler, interpreter, flags, probe});
  }
  std::string out = render_columns(rows);
  if (!fs::exists(options.root / "status")) out += "binfmt_misc is not mounted on " + options.root.string() + "\n";
  return out;
}

}  // namespace xb
