// Firmware sizes, flashable .bin files and the debugger, end to end on examples/firmware built
// with the real arm-none-eabi GCC: `xbuild run` measures each target's ELF (the numbers
// arm-none-eabi-size prints), fails over a [firmware] budget before publishing, and prints the
// deltas against an earlier run's table; an ELF whose code and data load 512 MiB apart is packed
// as a .bin per region, which boots in qemu-system-arm when each is loaded at the address the
// artifact states; `xbuild firmware debug` attaches gdb-multiarch (batch mode) to QEMU's stub.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "e2e/e2e_support.h"
#include "util/fs.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::vector<std::string> kSizeTools = {
    "make",           "arm-none-eabi-gcc", "arm-none-eabi-objcopy", "arm-none-eabi-objdump", "arm-none-eabi-size",
    "qemu-system-arm"};

// examples/firmware for two bare-metal targets only, with `budget` appended to its [firmware].
fs::path firmware_project(const ScratchDir& scratch, const std::string& budget) {
  fs::path project = copy_example("firmware", scratch / "firmware");
  std::string config = read_file(project / "xbuild.toml").value();
  config = config.substr(0, config.find("# The Linux image"));
  auto replace = [&](const std::string& from, const std::string& to) {
    std::size_t at = config.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) config.replace(at, from.size(), to);
  };
  replace("platforms = [\"linux/amd64\"]\n", "");
  replace("firmware = [\"cortex-m3\", \"cortex-m4\", \"cortex-m33\"]", "firmware = [\"cortex-m3\", \"cortex-m33\"]");
  replace("timeout = \"30s\"\n", "timeout = \"30s\"\n" + budget);
  EXPECT_TRUE(write_file_atomic(project / "xbuild.toml", config).ok());
  return project;
}

struct Sizes {
  std::uint64_t text = 0, data = 0, bss = 0;
};

// arm-none-eabi-size's numbers for an ELF.
Sizes size_of(const fs::path& elf) {
  CommandResult size = run({"arm-none-eabi-size", elf.string()});
  EXPECT_EQ(size.exit_code, 0) << size.err;
  std::istringstream numbers(size.out.substr(size.out.find('\n') + 1));
  Sizes sizes;
  numbers >> sizes.text >> sizes.data >> sizes.bss;
  return sizes;
}

fs::path elf_of(const fs::path& project, const std::string& target) {
  return project / ".xbuild" / "out" / ("none-arm-" + target) / "firmware.elf";
}

std::string delta(std::uint64_t now, std::uint64_t before) {
  return now >= before ? "+" + std::to_string(now - before) : "-" + std::to_string(before - now);
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(FirmwareSizeE2E, SizesArePrintedAndABudgetOverrunFailsTheRunBeforeAnythingIsPublished) {
  XB_REQUIRE_TOOLS(kSizeTools);
  ScratchDir scratch;
  // cortex-m3 gets 16 KiB of flash (the example takes about 34 KiB); every target 64 KiB of RAM.
  fs::path project = firmware_project(scratch, "max_flash = { cortex-m3 = \"16K\" }\nmax_ram = \"64K\"\n");
  CommandResult result = xbuild({"run", "xbuild.toml", "--progress", "plain"}, project);
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  const Sizes m3 = size_of(elf_of(project, "cortex-m3")), m33 = size_of(elf_of(project, "cortex-m33"));
  const std::uint64_t m3_flash = m3.text + m3.data, m33_flash = m33.text + m33.data;
  ASSERT_GT(m3_flash, 16384u);
  auto ram_share = [](const Sizes& sizes) {
    char text[16];
    std::snprintf(text, sizeof text, "%.1f%%", 100.0 * static_cast<double>(sizes.data + sizes.bss) / 65536.0);
    return std::string(text);
  };
  char flash_share[16];
  std::snprintf(flash_share, sizeof flash_share, "%.1f%%", 100.0 * static_cast<double>(m3_flash) / 16384.0);
  const std::string output = result.out + result.err;
  EXPECT_TRUE(contains(output, "firmware cortex-m3: text " + std::to_string(m3.text) + ", data " +
                                   std::to_string(m3.data) + ", bss " + std::to_string(m3.bss) + "; flash " +
                                   std::to_string(m3_flash) + " of 16 KiB (" + flash_share + "), ram " +
                                   std::to_string(m3.data + m3.bss) + " of 64 KiB (" + ram_share(m3) + ")\n"))
      << output;
  EXPECT_TRUE(contains(output, "firmware cortex-m33: text " + std::to_string(m33.text) + ", data " +
                                   std::to_string(m33.data) + ", bss " + std::to_string(m33.bss) + "; flash " +
                                   std::to_string(m33_flash) + ", ram " + std::to_string(m33.data + m33.bss) +
                                   " of 64 KiB (" + ram_share(m33) + ")\n"))
      << output;
  // Only the target over its budget is named, with its numbers, and the fix.
  // KiB with one decimal, none when it is 0 ("32 KiB").
  auto kib = [](std::uint64_t bytes) {
    char text[64];
    std::snprintf(text, sizeof text, "%.1f", static_cast<double>(bytes) / 1024.0);
    std::string number = text;
    if (number.ends_with(".0")) number.resize(number.size() - 2);
    return number + " KiB";
  };
  const std::string flash = kib(m3_flash), over = kib(m3_flash - 16384), text = kib(m3.text), data = kib(m3.data);
  EXPECT_TRUE(contains(result.err, "xbuild: error: cortex-m3: flash " + flash + " > max_flash 16 KiB, " + over +
                                       " over (text " + text + " + data " + data +
                                       ")\nmake the firmware smaller, or raise max_flash / max_ram in [firmware] of " +
                                       (project / "xbuild.toml").string() + "\n"))
      << result.err;
  EXPECT_FALSE(contains(result.err, "cortex-m33: flash")) << result.err;
  EXPECT_FALSE(fs::exists(project / ".xbuild" / "oci")) << "nothing is published";
  // The table is written all the same: the next run's baseline.
  EXPECT_EQ(read_file(project / ".xbuild" / "firmware-size.txt").value(),
            "text\tdata\tbss\tflash\tram\ttarget\n" + std::to_string(m3.text) + "\t" + std::to_string(m3.data) + "\t" +
                std::to_string(m3.bss) + "\t" + std::to_string(m3_flash) + "\t" + std::to_string(m3.data + m3.bss) +
                "\tcortex-m3\n" + std::to_string(m33.text) + "\t" + std::to_string(m33.data) + "\t" +
                std::to_string(m33.bss) + "\t" + std::to_string(m33_flash) + "\t" + std::to_string(m33.data + m33.bss) +
                "\tcortex-m33\n");
}

TEST(FirmwareSizeE2E, ABaselineFromAnEarlierRunGivesTheDeltasOfAChange) {
  XB_REQUIRE_TOOLS(kSizeTools);
  ScratchDir scratch;
  fs::path project = firmware_project(scratch, "max_flash = \"256K\"\n");
  const fs::path metadata = scratch / "metadata.json";
  CommandResult first =
      xbuild({"run", "xbuild.toml", "--progress", "plain", "--metadata-file", metadata.string()}, project);
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  const Sizes before = size_of(elf_of(project, "cortex-m3"));
  const fs::path baseline = scratch / "baseline.txt";
  fs::copy_file(project / ".xbuild" / "firmware-size.txt", baseline);
  // The metadata file records the sizes too: a baseline a CI job keeps anyway.
  EXPECT_TRUE(contains(read_file(metadata).value(), "\"firmware.size\": {\"text\": " + std::to_string(before.text) +
                                                        ", \"data\": " + std::to_string(before.data) +
                                                        ", \"bss\": " + std::to_string(before.bss) + "},\n"));

  // A change to the firmware: one more call, a few bytes of text more.
  std::string main_c = read_file(project / "main.c").value();
  main_c.replace(main_c.find("  return 0;"), 11, "  puts(\"done\");\n  return 0;");
  ASSERT_TRUE(write_file_atomic(project / "main.c", main_c).ok());
  CommandResult second =
      xbuild({"run", "xbuild.toml", "--progress", "plain", "--size-baseline", baseline.string()}, project);
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  const Sizes after = size_of(elf_of(project, "cortex-m3"));
  ASSERT_GT(after.text, before.text);
  char share[16];
  std::snprintf(share, sizeof share, "%.1f%%", 100.0 * static_cast<double>(after.text + after.data) / 262144.0);
  const std::string output = second.out + second.err;
  EXPECT_TRUE(contains(output, "firmware cortex-m3: text " + std::to_string(after.text) + " (" +
                                   delta(after.text, before.text) + "), data " + std::to_string(after.data) + " (" +
                                   delta(after.data, before.data) + "), bss " + std::to_string(after.bss) + " (" +
                                   delta(after.bss, before.bss) + "); flash " +
                                   std::to_string(after.text + after.data) + " of 256 KiB (" + share + "), ram " +
                                   std::to_string(after.data + after.bss) + "\n"))
      << output;
  // The table records the deltas too.
  std::string table = read_file(project / ".xbuild" / "firmware-size.txt").value();
  EXPECT_EQ(table.substr(0, table.find('\n')),
            "text\tdata\tbss\tflash\tram\ttext_delta\tdata_delta\tbss_delta\ttarget");
  EXPECT_TRUE(contains(table, "\t" + delta(after.text, before.text) + "\t" + delta(after.data, before.data) + "\t" +
                                  delta(after.bss, before.bss) + "\tcortex-m3\n"))
      << table;
  // The first run's --metadata-file as the baseline gives the same deltas.
  CommandResult third =
      xbuild({"run", "xbuild.toml", "--progress", "plain", "--size-baseline", metadata.string()}, project);
  ASSERT_EQ(third.exit_code, 0) << third.out << third.err;
  EXPECT_TRUE(contains(third.out + third.err, "firmware cortex-m3: text " + std::to_string(after.text) + " (" +
                                                  delta(after.text, before.text) + "), data "))
      << third.out + third.err;
}

TEST(FirmwareSizeE2E, ABaselineThatIsNoSizeTableStopsTheRunBeforeAnythingRuns) {
  ScratchDir scratch;
  fs::path project = firmware_project(scratch, "");
  fs::path metadata = scratch.write("metadata.json", "{\"containerimage.digest\": \"sha256:00\"}\n");
  CommandResult result =
      xbuild({"run", "xbuild.toml", "--progress", "plain", "--size-baseline", metadata.string()}, project);
  EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
  EXPECT_EQ(result.err, "xbuild: error: the size baseline " + metadata.string() +
                            " is a metadata file without firmware sizes: use the --metadata-file of a run that built "
                            "firmware targets (xbuild run --metadata-file FILE)\n");
  EXPECT_FALSE(fs::exists(project / ".xbuild"));
  fs::path text = scratch.write("sizes.txt", "hello\n");
  result = xbuild({"run", "xbuild.toml", "--progress", "plain", "--size-baseline", text.string()}, project);
  EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
  EXPECT_EQ(result.err, "xbuild: error: the size baseline " + text.string() +
                            " is not a size table: its first line must name the columns text, data and bss, and last "
                            "target or filename (as arm-none-eabi-size prints them, or as xbuild run writes "
                            "<state dir>/firmware-size.txt)\n");
  EXPECT_FALSE(fs::exists(project / ".xbuild"));
  result = xbuild({"run", "xbuild.toml", "--size-baseline", (scratch / "nope.txt").string()}, project);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err, "xbuild: error: cannot read the size baseline: cannot read " + (scratch / "nope.txt").string() +
                            ": No such file or directory\n");
  EXPECT_FALSE(fs::exists(project / ".xbuild"));
}

// examples/firmware's firmware.elf for cortex-m3, with `extra_ldflags` after the target's own.
fs::path build_firmware(const ScratchDir& scratch, const std::string& name, const std::string& extra_ldflags) {
  fs::path example = copy_example("firmware", scratch / ("src-" + name));
  fs::path out = scratch / ("out-" + name);
  CommandResult built = run({"sh", "-c",
                             "set -a; eval \"$(\"$XB\" firmware env --target cortex-m3 --state-dir \"$STATE\")\"; "
                             "set +a; LDFLAGS=\"$LDFLAGS $EXTRA\"; make -s OUT=\"$OUT\" \"$OUT/firmware.elf\""},
                            {{"XB", xbuild_binary().string()},
                             {"STATE", (scratch / "state").string()},
                             {"OUT", out.string()},
                             {"EXTRA", extra_ldflags}},
                            example);
  EXPECT_EQ(built.exit_code, 0) << built.out << built.err;
  return out / "firmware.elf";
}

struct Bin {
  std::string file, load_address, content;
};

// `firmware pack` into oci:DIR, read back with skopeo: the .bin layers in order.
std::vector<Bin> packed_bins(const fs::path& elf, const fs::path& layout, CommandResult& packed) {
  packed = xbuild({"firmware", "pack", "--target", "cortex-m3", "-o", "oci:" + layout.string(), elf.string()});
  EXPECT_EQ(packed.exit_code, 0) << packed.out << packed.err;
  CommandResult raw = run({"skopeo", "inspect", "--raw", "oci:" + layout.string()});
  EXPECT_EQ(raw.exit_code, 0) << raw.err;
  std::vector<Bin> bins;
  const json manifest = json::parse(raw.out);  // kept: a range-for over a temporary's member would outlive it
  for (const json& layer : manifest["layers"]) {
    if (layer["mediaType"] != "application/vnd.xbuild.firmware.bin") continue;
    std::string digest = layer["digest"];
    bins.push_back({layer["annotations"]["org.opencontainers.image.title"],
                    layer["annotations"].value("xbuild.firmware.load-address", "(none)"),
                    read_file(layout / "blobs" / "sha256" / digest.substr(7)).value()});
  }
  return bins;
}

// qemu-system-arm on cortex-m3's board with each .bin loaded at its address, as a flasher writes
// them, and no ELF: what the firmware prints through semihosting, and its exit status.
CommandResult boot_bins(const ScratchDir& scratch, const std::vector<Bin>& bins) {
  std::vector<std::string> qemu = {"timeout",
                                   "30",
                                   "qemu-system-arm",
                                   "-M",
                                   "mps2-an385",
                                   "-cpu",
                                   "cortex-m3",
                                   "-nographic",
                                   "-monitor",
                                   "none",
                                   "-serial",
                                   "none",
                                   "-semihosting-config",
                                   "enable=on,target=native"};
  for (const Bin& bin : bins) {
    fs::path file = scratch / ("boot-" + bin.file);
    EXPECT_TRUE(write_file_atomic(file, bin.content).ok());
    qemu.insert(qemu.end(), {"-device", "loader,file=" + file.string() + ",addr=" + bin.load_address});
  }
  return run(qemu);
}

TEST(FirmwareBinE2E, CodeInFlashAndDataLoadedInRamGiveABinPerRegionThatBootsAtItsAddress) {
  XB_REQUIRE_TOOLS(kSizeTools);
  XB_REQUIRE_TOOLS("skopeo");
  ScratchDir scratch;
  // .data linked and loaded at 0x20000000, the vector table at 0x0: one .bin would be 512 MiB.
  fs::path elf = build_firmware(scratch, "split", "-Wl,-Tdata=0x20000000");
  CommandResult packed;
  std::vector<Bin> bins = packed_bins(elf, scratch / "split-oci", packed);
  ASSERT_EQ(bins.size(), 2u);
  EXPECT_EQ(bins[0].file, "firmware.0x00000000.bin");
  EXPECT_EQ(bins[0].load_address, "0x00000000");
  EXPECT_EQ(bins[1].file, "firmware.0x20000000.bin");
  EXPECT_EQ(bins[1].load_address, "0x20000000");
  // The RAM region is .data as linked (its size from objdump -h).
  CommandResult data =
      run({"arm-none-eabi-objcopy", "-O", "binary", "-j", ".data", elf.string(), (scratch / "data.bin").string()});
  ASSERT_EQ(data.exit_code, 0) << data.err;
  EXPECT_EQ(bins[1].content, read_file(scratch / "data.bin").value());
  EXPECT_LT(bins[0].content.size() + bins[1].content.size(), 256u * 1024);
  const std::string lines = packed.out.substr(packed.out.find('\n') + 1);
  EXPECT_EQ(lines.substr(0, lines.find("wrote ")),
            "firmware.0x00000000.bin: " + std::to_string(bins[0].content.size()) +
                " bytes, load at 0x00000000\nfirmware.0x20000000.bin: " + std::to_string(bins[1].content.size()) +
                " bytes, load at 0x20000000\n");

  // Written where the artifact says, the two files are the firmware.
  CommandResult booted = boot_bins(scratch, bins);
  EXPECT_EQ(booted.exit_code, 0) << booted.out << booted.err;
  EXPECT_EQ(booted.out, "crc16(123456789) = 0x29B1\n");
}

TEST(FirmwareBinE2E, OneContiguousImageIsOneBinStartingAtItsFirstByte) {
  XB_REQUIRE_TOOLS(kSizeTools);
  XB_REQUIRE_TOOLS("skopeo");
  ScratchDir scratch;
  fs::path elf = build_firmware(scratch, "flat", "");
  CommandResult packed;
  std::vector<Bin> bins = packed_bins(elf, scratch / "flat-oci", packed);
  ASSERT_EQ(bins.size(), 1u);
  EXPECT_EQ(bins[0].file, "firmware.bin");
  EXPECT_EQ(bins[0].load_address, "0x00000000");
  ASSERT_EQ(run({"arm-none-eabi-objcopy", "-O", "binary", elf.string(), (scratch / "x.bin").string()}).exit_code, 0);
  EXPECT_EQ(bins[0].content, read_file(scratch / "x.bin").value());
  CommandResult booted = boot_bins(scratch, bins);
  EXPECT_EQ(booted.exit_code, 0) << booted.out << booted.err;
  EXPECT_EQ(booted.out, "crc16(123456789) = 0x29B1\n");
}

// Whether something listens on 127.0.0.1:PORT, from /proc/net/tcp.
bool listening(int port) {
  std::ifstream table("/proc/net/tcp");
  std::string line, slot, local, remote, state;
  std::getline(table, line);
  char wanted[16];
  std::snprintf(wanted, sizeof wanted, ":%04X", port);
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    if (fields >> slot >> local >> remote >> state && state == "0A" && local.ends_with(wanted)) return true;
  }
  return false;
}

const char* const kDebugBanner =
    "xbuild firmware debug: firmware.elf on cortex-m3 (mps2-an385), halted at reset; gdb "
    "stub on 127.0.0.1:";

// The port of the banner line in `err`, or -1.
int stub_port(const std::string& err) {
  std::size_t at = err.find(kDebugBanner);
  if (at == std::string::npos) return -1;
  return std::atoi(err.c_str() + at + std::string(kDebugBanner).size());
}

TEST(FirmwareDebugE2E, GdbAttachesBreaksAtMainAndReadsAVariableAndARegister) {
  XB_REQUIRE_TOOLS(kSizeTools);
  XB_REQUIRE_TOOLS("gdb-multiarch");
  ScratchDir scratch;
  fs::path elf = build_firmware(scratch, "debug", "");
  CommandResult result = run({"timeout",       "120",        xbuild_binary().string(),
                              "firmware",      "debug",      "--target",
                              "cortex-m3",     elf.string(), "--",
                              "-batch",        "-ex",        "break main",
                              "-ex",           "continue",   "-ex",
                              "print message", "-ex",        "break crc16_ccitt",
                              "-ex",           "continue",   "-ex",
                              "finish",        "-ex",        "print/x $r0",
                              "-ex",           "kill"});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  // Halted at reset: gdb finds the CPU at the reset handler of xbuild's startup.
  const std::string first = result.out.substr(0, result.out.find('\n'));
  EXPECT_TRUE(first.starts_with("0x") && first.ends_with(" in __xbuild_reset ()")) << first;
  EXPECT_TRUE(contains(result.out, "\nBreakpoint 1, main () at main.c:8\n$1 = \"123456789\"\n")) << result.out;
  EXPECT_TRUE(contains(result.out, "\nValue returned is $2 = 10673\n$3 = 0x29b1\n")) << result.out;  // crc16 = 0x29B1
  EXPECT_TRUE(contains(result.out, "[Inferior 1 (process 1) killed]\n")) << result.out;
  const int port = stub_port(result.err);
  EXPECT_GT(port, 0) << result.err;
  EXPECT_FALSE(listening(port)) << "QEMU is gone when gdb is";
}

TEST(FirmwareDebugE2E, PrintGivesTheGdbCommandThatAttachesAndWaitsForQemu) {
  XB_REQUIRE_TOOLS(kSizeTools);
  XB_REQUIRE_TOOLS("gdb-multiarch");
  ScratchDir scratch;
  fs::path elf = build_firmware(scratch, "print", "");
  // xbuild in the background; once it has printed the command, that command (and our batch
  // commands) attaches; `kill` ends QEMU and with it xbuild.
  const std::string script =
      "\"$XB\" firmware debug --print --target cortex-m3 \"$ELF\" > cmd.txt 2> xbuild.err & xb=$!\n"
      "for i in $(seq 600); do [ -s cmd.txt ] && break; sleep 0.1; done\n"
      "eval \"$(cat cmd.txt) -batch -ex 'break main' -ex continue -ex 'print/x \\$sp' -ex kill\" > gdb.out 2> gdb.err\n"
      "echo \"gdb $?\"\nwait $xb\necho \"xbuild $?\"\n";
  CommandResult result = run({"timeout", "120", "sh", "-c", script},
                             {{"XB", xbuild_binary().string()}, {"ELF", elf.string()}}, scratch.path());
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_EQ(result.out, "gdb 0\nxbuild 0\n");
  const std::string err = read_file(scratch / "xbuild.err").value();
  const int port = stub_port(err);
  ASSERT_GT(port, 0) << err;
  EXPECT_EQ(read_file(scratch / "cmd.txt").value(),
            "gdb-multiarch -q " + elf.string() + " -ex 'target remote 127.0.0.1:" + std::to_string(port) + "'\n");
  EXPECT_TRUE(contains(err, "\nxbuild firmware debug: waiting for qemu-system-arm to end (Ctrl-C stops it)\n")) << err;
  const std::string gdb = read_file(scratch / "gdb.out").value();
  // The vector table's initial stack pointer is 0x20010000; newlib's _start moves it to the top
  // of the RAM semihosting reports. Either way it is in SRAM at main.
  EXPECT_TRUE(contains(gdb, "\nBreakpoint 1, main () at main.c:8\n$1 = 0x2")) << gdb;
  EXPECT_TRUE(contains(gdb, "[Inferior 1 (process 1) killed]\n")) << gdb;
  EXPECT_FALSE(listening(port));
}

TEST(FirmwareDebugE2E, BadInputIsAClearErrorAndStartsNothing) {
  ScratchDir scratch;
  CommandResult result =
      xbuild({"firmware", "debug", "--target", "cortex-m3", (scratch / "missing.elf").string(), "--", "-batch"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err, "xbuild: error: firmware debug: " + (scratch / "missing.elf").string() +
                            " does not exist; build it first\n");
  fs::path elf = scratch.write("fw.elf", "not really an ELF");
  result = xbuild({"firmware", "debug", "--target", "cortex-m3", elf.string()}, {}, {{"PATH", "/nonexistent"}});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err,
            "xbuild: error: firmware debug: gdb-multiarch is not on PATH; install it (apt-get install gdb-multiarch), "
            "or use --print and attach a gdb of your own\n");
  result = xbuild({"firmware", "debug", "--target", "cortex-m9", elf.string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_TRUE(contains(result.err, "xbuild: error: unknown firmware target \"cortex-m9\"")) << result.err;
}

}  // namespace
}  // namespace xb::testing
