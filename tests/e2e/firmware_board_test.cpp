// A firmware team's own board: an STM32F405 defined in xbuild.toml ([firmware.target.stm32f405],
// base cortex-m4f) with the team's linker script (flash at 0x08000000, SRAM at 0x20000000) and
// startup (its vector table in .isr_vector, .data copied from flash). `xbuild run` builds it with
// real arm-none-eabi GCC, tests it on QEMU's netduinoplus2 (the STM32F405 board, its flash
// aliased at 0 where the reset reads the table) with hard float, and the artifact's .bin is the
// image the team flashes at 0x08000000. A wrong board definition is a config error.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstdio>

#include "e2e/e2e_support.h"
#include "e2e/layout_json.h"
#include "util/fs.h"
#include "util/sha256.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::vector<std::string> kBoardTools = {
    "make",           "arm-none-eabi-gcc", "arm-none-eabi-objcopy", "arm-none-eabi-size", "arm-none-eabi-readelf",
    "qemu-system-arm"};

const char* const kConfig = R"([project]
name = "sensor"
version = "1.0.0"

[targets]
firmware = ["stm32f405"]

[stage.build]
run = 'make -s OUT="$XBUILD_OUT"'

[stage.test]
needs = ["build"]
run = 'make -s OUT="$XBUILD_OUT" "$XBUILD_OUT/test.elf" && $XBUILD_EXEC "$XBUILD_OUT/test.elf"'

[firmware]
elf = "sensor.elf"
startup = "board/startup.c"
timeout = "30s"

[firmware.target.stm32f405]
base = "cortex-m4f"
machine = "netduinoplus2"
linker_script = "board/stm32f405.ld"
vector_table = 0x08000000
stack_top = 0x20020000
)";

// As a team writes one for an STM32F405RG: 512 KiB of its flash, its 128 KiB of SRAM.
const char* const kLinkerScript = R"(/* STM32F405RG: flash at 0x08000000, SRAM at 0x20000000. */
ENTRY(Reset_Handler)

MEMORY
{
  FLASH (rx)  : ORIGIN = 0x08000000, LENGTH = 512K
  RAM   (rwx) : ORIGIN = 0x20000000, LENGTH = 128K
}

_estack = ORIGIN(RAM) + LENGTH(RAM);

SECTIONS
{
  .isr_vector :
  {
    . = ALIGN(4);
    KEEP(*(.isr_vector))
    KEEP(*(.vectors))
    . = ALIGN(4);
  } > FLASH

  .text :
  {
    *(.text .text.*)
    *(.rodata .rodata.*)
    KEEP(*(.init))
    KEEP(*(.fini))
    . = ALIGN(4);
  } > FLASH

  .ARM.extab : { *(.ARM.extab* .gnu.linkonce.armextab.*) } > FLASH
  .ARM.exidx :
  {
    __exidx_start = .;
    *(.ARM.exidx* .gnu.linkonce.armexidx.*)
    __exidx_end = .;
  } > FLASH

  .preinit_array :
  {
    PROVIDE_HIDDEN(__preinit_array_start = .);
    KEEP(*(.preinit_array*))
    PROVIDE_HIDDEN(__preinit_array_end = .);
  } > FLASH
  .init_array :
  {
    PROVIDE_HIDDEN(__init_array_start = .);
    KEEP(*(SORT(.init_array.*)))
    KEEP(*(.init_array*))
    PROVIDE_HIDDEN(__init_array_end = .);
  } > FLASH
  .fini_array :
  {
    PROVIDE_HIDDEN(__fini_array_start = .);
    KEEP(*(SORT(.fini_array.*)))
    KEEP(*(.fini_array*))
    PROVIDE_HIDDEN(__fini_array_end = .);
  } > FLASH

  /* Initialised data lives in RAM, its initial values in flash right after the code. */
  _sidata = LOADADDR(.data);
  .data :
  {
    . = ALIGN(4);
    _sdata = .;
    *(.data .data.*)
    . = ALIGN(4);
    _edata = .;
  } > RAM AT> FLASH

  /* newlib's _start zeroes from __bss_start__ to __bss_end__. */
  .bss (NOLOAD) :
  {
    . = ALIGN(4);
    __bss_start__ = .;
    *(.bss .bss.*)
    *(COMMON)
    . = ALIGN(4);
    __bss_end__ = .;
  } > RAM

  /* The heap (newlib's sbrk) starts here. */
  . = ALIGN(8);
  end = .;
  PROVIDE(_end = .);
  PROVIDE(__end__ = .);
}
)";

// The team's startup: the table QEMU's reset (and the chip's) reads, .data copied from flash,
// the FPU on, then newlib's _start (semihosting, .bss, the heap, main, exit).
const char* const kStartup = R"(#include <stdint.h>

extern uint32_t _sidata[], _sdata[], _edata[], _estack[];
extern void _start(void);
void Reset_Handler(void);

static void Fault_Handler(void) {
  for (;;) {
  }
}

__attribute__((section(".isr_vector"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))_estack, Reset_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
    Fault_Handler,           0,             0,             0,             0,             Fault_Handler,
    Fault_Handler,           0,             Fault_Handler, Fault_Handler};

void Reset_Handler(void) {
  for (uint32_t *from = _sidata, *to = _sdata; to < _edata;) *to++ = *from++;
  *(volatile uint32_t *)0xE000ED88 |= 0xFu << 20; /* CPACR: CP10 and CP11 */
  __asm volatile("dsb\n\tisb");
  _start();
}
)";

const char* const kFilterH = R"(#ifndef FILTER_H
#define FILTER_H
float filter_average(const float* samples, int count);
int filter_calibration(int channel);
#endif
)";

// A float computation (hard float: in FP registers) and initialised data (copied from flash).
const char* const kFilterC = R"(#include "filter.h"

static int calibration[4] = {3, 1, 4, 1};

float filter_average(const float* samples, int count) {
  float sum = 0.0f;
  for (int i = 0; i < count; ++i) sum += samples[i];
  return sum / (float)count;
}

int filter_calibration(int channel) { return calibration[channel]; }
)";

const char* const kMainC = R"(#include <stdio.h>
#include "filter.h"

int main(void) {
  const float samples[] = {20.5f, 21.0f, 21.5f};
  printf("temperature %d\n", (int)(filter_average(samples, 3) * 10.0f));
  return 0;
}
)";

// Unity's output format: one line per test, then the summary and OK.
const char* const kTestC = R"(#include <math.h>
#include <stdio.h>
#include "filter.h"

static int failures;

static void check(int line, const char* name, int ok) {
  printf("test/test_filter.c:%d:%s:%s\n", line, name, ok ? "PASS" : "FAIL");
  if (!ok) ++failures;
}

int main(void) {
  volatile float samples[] = {20.5f, 21.0f, 21.5f};
  float average = filter_average((const float*)samples, 3);
  check(__LINE__, "test_average", fabsf(average - 21.0f) < 1e-6f);
  check(__LINE__, "test_sqrt", sqrtf(average * 4.0f) > 9.16f && sqrtf(average * 4.0f) < 9.17f);
  check(__LINE__, "test_calibration", filter_calibration(0) == 3 && filter_calibration(2) == 4);
  printf("\n-----------------------\n3 Tests %d Failures 0 Ignored \n%s\n", failures, failures ? "FAIL" : "OK");
  return failures;
}
)";

const char* const kMakefile = R"(OUT ?= out
CFLAGS += -O2 -ffunction-sections -fdata-sections -Wall -Werror -Isrc
LDFLAGS += -Wl,--gc-sections

all: $(OUT)/sensor.elf

$(OUT)/sensor.elf: src/main.c src/filter.c
	$(CC) $(CFLAGS) $^ $(LDFLAGS) -o $@

$(OUT)/test.elf: test/test_filter.c src/filter.c
	$(CC) $(CFLAGS) $^ $(LDFLAGS) -lm -o $@
)";

fs::path write_project(const fs::path& root) {
  const std::vector<std::pair<std::string, const char*>> files = {
      {"xbuild.toml", kConfig},       {"board/stm32f405.ld", kLinkerScript},
      {"board/startup.c", kStartup},  {"src/filter.h", kFilterH},
      {"src/filter.c", kFilterC},     {"src/main.c", kMainC},
      {"test/test_filter.c", kTestC}, {"Makefile", kMakefile}};
  for (const auto& [path, text] : files) {
    fs::create_directories((root / path).parent_path());
    EXPECT_TRUE(write_file_atomic(root / path, text).ok()) << path;
  }
  return root;
}

std::uint32_t word_at(const std::string& bytes, std::size_t at) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + i])) << (8 * i);
  return value;
}

class FirmwareBoard : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!missing_tools(kBoardTools).empty()) return;  // SetUp says which, once per test
    scratch_ = std::make_unique<ScratchDir>();
    project_ = write_project(scratch_->path() / "sensor");
    layout_ = scratch_->path() / "layout";
    result_ = xbuild({"run", "--output", "oci:" + layout_.string(), "--progress", "plain"}, project_);
  }
  static void TearDownTestSuite() { scratch_.reset(); }

  void SetUp() override {
    XB_REQUIRE_TOOLS(kBoardTools);
    ASSERT_EQ(result_.exit_code, 0) << result_.out << result_.err;
  }

  static json manifest() {
    json index = layout_image_index(layout_);
    EXPECT_EQ(index["manifests"].size(), 1u) << index;
    return layout_blob_json(layout_, index["manifests"][0]["digest"]);
  }

  static inline std::unique_ptr<ScratchDir> scratch_;
  static inline fs::path project_, layout_;
  static inline CommandResult result_;
};

TEST_F(FirmwareBoard, TheTestsRunOnTheBoardsQemuMachineWithHardFloat) {
  for (const char* line : {"[none/arm/stm32f405 test] test/test_filter.c:15:test_average:PASS\n",
                           "[none/arm/stm32f405 test] test/test_filter.c:16:test_sqrt:PASS\n",
                           "[none/arm/stm32f405 test] test/test_filter.c:17:test_calibration:PASS\n",
                           "[none/arm/stm32f405 test] firmware test test.elf on cortex-m4 (netduinoplus2): passed "
                           "(exit code 0, pass pattern matched)\n"})
    EXPECT_NE(result_.out.find(line), std::string::npos) << line << result_.out;
  const fs::path out = project_ / ".xbuild" / "out" / "none-arm-stm32f405";
  CommandResult attributes = run({"arm-none-eabi-readelf", "-A", (out / "test.elf").string()});
  EXPECT_NE(attributes.out.find("Tag_ABI_VFP_args: VFP registers\n"), std::string::npos) << attributes.out;
  EXPECT_NE(attributes.out.find("Tag_FP_arch: VFPv4-D16\n"), std::string::npos) << attributes.out;
  // The image is linked by the project's script: code in flash, .data in RAM loaded from flash.
  CommandResult headers = run({"arm-none-eabi-readelf", "-lW", (out / "sensor.elf").string()});
  EXPECT_NE(headers.out.find("LOAD           0x001000 0x08000000 0x08000000 "), std::string::npos) << headers.out;
  EXPECT_NE(headers.out.find(" 0x20000000 0x0800"), std::string::npos) << headers.out;
}

TEST_F(FirmwareBoard, TheArtifactIsTheImageToFlashAndSaysWhichLinkItIs) {
  json artifact = manifest();
  EXPECT_EQ(artifact["annotations"]["xbuild.firmware.target"], "stm32f405");
  EXPECT_EQ(artifact["annotations"]["xbuild.firmware.cpu"], "cortex-m4");
  EXPECT_EQ(artifact["annotations"]["xbuild.firmware.board"], "netduinoplus2");
  EXPECT_EQ(artifact["annotations"]["xbuild.firmware.link"], "board/stm32f405.ld");
  EXPECT_EQ(artifact["layers"][1]["annotations"]["org.opencontainers.image.title"], "sensor.bin");
  const std::string bin = layout_blob_text(layout_, artifact["layers"][1]["digest"]);
  // Flash offset 0 is the vector table: the initial SP at the top of SRAM, a Thumb reset vector
  // in flash.
  ASSERT_GE(bin.size(), 8u);
  EXPECT_EQ(word_at(bin, 0), 0x20020000u);
  const std::uint32_t reset = word_at(bin, 4);
  EXPECT_EQ(reset & 1, 1u);
  EXPECT_GE(reset, 0x08000000u);
  EXPECT_LT(reset, 0x08000000u + bin.size());
  // Nothing but flash contents: code and the initial values of .data, no gap to a RAM address.
  const std::uint64_t text = std::stoull(artifact["annotations"]["xbuild.firmware.size.text"].get<std::string>());
  const std::uint64_t data = std::stoull(artifact["annotations"]["xbuild.firmware.size.data"].get<std::string>());
  EXPECT_EQ(bin.size(), text + data);
  EXPECT_LT(bin.size(), 64u * 1024);
}

TEST_F(FirmwareBoard, ThePlanShowsTheBoardAndTheLinkerScriptIsInTheCacheKeys) {
  CommandResult plan = xbuild({"plan"}, project_);
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_NE(plan.out.find("bare metal: arm-none-eabi for cortex-m4 (xbuild.toml [firmware.target.stm32f405], base "
                          "cortex-m4f, linked with board/stm32f405.ld), tests on qemu-system-arm -M netduinoplus2"),
            std::string::npos)
      << plan.out;

  ScratchDir scratch;
  const fs::path project = write_project(scratch.path() / "sensor");
  const std::map<std::string, std::string> env = {{"XBUILD_CACHE_DIR", (scratch.path() / "cache").string()}};
  CommandResult first = xbuild({"run", "--progress", "plain"}, project, env);
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  CommandResult cached = xbuild({"run", "--progress", "plain"}, project, env);
  ASSERT_EQ(cached.exit_code, 0) << cached.out << cached.err;
  EXPECT_NE(cached.err.find("xbuild: none/arm/stm32f405: cached (build, test)\n"), std::string::npos) << cached.err;
  // An edited linker script reruns the stages.
  std::string script = read_file(project / "board/stm32f405.ld").value();
  script.replace(script.find("LENGTH = 512K"), 13, "LENGTH = 1024K");
  ASSERT_TRUE(write_file_atomic(project / "board/stm32f405.ld", script).ok());
  CommandResult edited = xbuild({"run", "--progress", "plain"}, project, env);
  ASSERT_EQ(edited.exit_code, 0) << edited.out << edited.err;
  EXPECT_EQ(edited.err.find("cached"), std::string::npos) << edited.err;
  EXPECT_NE(edited.out.find("[none/arm/stm32f405 test] firmware test test.elf on cortex-m4 (netduinoplus2): passed"),
            std::string::npos)
      << edited.out;
}

TEST_F(FirmwareBoard, FirmwareCommandsFindTheProjectsTarget) {
  const fs::path elf = project_ / ".xbuild" / "out" / "none-arm-stm32f405" / "test.elf";
  // From another directory, through --config, as the stages' $XBUILD_EXEC does.
  CommandResult test = xbuild(
      {"firmware", "test", "--target", "stm32f405", "--config", (project_ / "xbuild.toml").string(), elf.string()},
      scratch_->path());
  EXPECT_EQ(test.exit_code, 0) << test.out << test.err;
  EXPECT_NE(test.out.find("firmware test test.elf on cortex-m4 (netduinoplus2): passed"), std::string::npos)
      << test.out;
  CommandResult exec = xbuild({"firmware", "exec", "--target", "stm32f405", elf.string()}, project_);
  EXPECT_EQ(exec.exit_code, 0) << exec.out << exec.err;
  EXPECT_NE(exec.out.find("3 Tests 0 Failures 0 Ignored \nOK\n"), std::string::npos) << exec.out;
  CommandResult env = xbuild({"firmware", "env", "--target", "stm32f405"}, project_);
  EXPECT_EQ(env.exit_code, 0) << env.err;
  EXPECT_NE(env.out.find("LDFLAGS='--specs=rdimon.specs -Wl,-T," + (project_ / "board/stm32f405.ld").string() + " " +
                         (project_ / ".xbuild/firmware/stm32f405/startup.o").string() +
                         " -Wl,--undefined=__xbuild_vectors'\n"),
            std::string::npos)
      << env.out;
  const fs::path packed = scratch_->path() / "packed";
  CommandResult pack = xbuild({"firmware", "pack", "--target", "stm32f405", "-o", "oci:" + packed.string(),
                               (project_ / ".xbuild/out/none-arm-stm32f405/sensor.elf").string()},
                              project_);
  ASSERT_EQ(pack.exit_code, 0) << pack.out << pack.err;
  // pack's index.json lists the artifact's manifest itself.
  json packed_index = json::parse(read_file(packed / "index.json").value());
  json packed_manifest = layout_blob_json(packed, packed_index["manifests"][0]["digest"].get<std::string>());
  EXPECT_EQ(packed_manifest["annotations"]["xbuild.firmware.link"], "board/stm32f405.ld");
  EXPECT_EQ(packed_manifest["annotations"]["xbuild.firmware.board"], "netduinoplus2");
  // Meson's exe_wrapper and CMake's emulator name the project's config, so they work from any
  // build directory.
  const std::string config = (project_ / "xbuild.toml").string();
  const std::string meson = read_file(project_ / ".xbuild/toolchains/none-arm-stm32f405.meson.ini").value();
  EXPECT_NE(meson.find("exe_wrapper = ['" + xbuild_binary().string() +
                       "', 'firmware', 'exec', '--target', 'stm32f405', '--config', '" + config + "']\n"),
            std::string::npos)
      << meson;
  const std::string cmake = read_file(project_ / ".xbuild/toolchains/none-arm-stm32f405.cmake").value();
  EXPECT_NE(cmake.find("set(CMAKE_CROSSCOMPILING_EMULATOR " + xbuild_binary().string() +
                       ";firmware;exec;--target;stm32f405;--config;" + config + ")\n"),
            std::string::npos)
      << cmake;
  // Without the project, the name is unknown.
  CommandResult unknown = xbuild({"firmware", "test", "--target", "stm32f405", elf.string()}, scratch_->path());
  EXPECT_EQ(unknown.exit_code, 1) << unknown.out << unknown.err;
  EXPECT_NE(unknown.err.find("unknown firmware target \"stm32f405\"; known targets: cortex-m0,"), std::string::npos)
      << unknown.err;
}

// Without a startup of the project's, xbuild's own goes where the script puts .vectors, with
// stack_top as its initial SP, and copies .data from flash (_sidata, _sdata, _edata).
TEST_F(FirmwareBoard, XbuildsStartupIsPlacedByTheScriptAndCopiesData) {
  ScratchDir scratch;
  const fs::path project = write_project(scratch.path() / "sensor");
  std::string config = read_file(project / "xbuild.toml").value();
  const std::string startup = "startup = \"board/startup.c\"\n";
  config.erase(config.find(startup), startup.size());
  ASSERT_TRUE(write_file_atomic(project / "xbuild.toml", config).ok());
  fs::remove(project / "board/startup.c");
  CommandResult result = xbuild({"run", "--progress", "plain"}, project);
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("[none/arm/stm32f405 test] test/test_filter.c:17:test_calibration:PASS\n"),
            std::string::npos)
      << result.out;
  const fs::path elf = project / ".xbuild" / "out" / "none-arm-stm32f405" / "sensor.elf";
  const fs::path bin = scratch.path() / "sensor.bin";
  ASSERT_EQ(run({"arm-none-eabi-objcopy", "-O", "binary", elf.string(), bin.string()}).exit_code, 0);
  const std::string image = read_file(bin).value();
  ASSERT_GE(image.size(), 8u);
  EXPECT_EQ(word_at(image, 0), 0x20020000u);
  CommandResult symbols = run({"arm-none-eabi-nm", elf.string()});
  char reset[32];
  std::snprintf(reset, sizeof reset, "%08x T __xbuild_reset\n", word_at(image, 4) & ~1u);
  EXPECT_NE(symbols.out.find(reset), std::string::npos) << reset << symbols.out;
  EXPECT_NE(symbols.out.find("08000000 R __xbuild_vectors\n"), std::string::npos) << symbols.out;
}

TEST_F(FirmwareBoard, AWrongBoardIsAConfigErrorAndChangesNothing) {
  ScratchDir scratch;
  const fs::path project = write_project(scratch.path() / "sensor");
  std::string config = read_file(project / "xbuild.toml").value();
  config.replace(config.find("board/stm32f405.ld"), 18, "board/stm32f407.ld");
  config.replace(config.find("base = \"cortex-m4f\""), 19, "base = \"cortex-m4x\"");
  ASSERT_TRUE(write_file_atomic(project / "xbuild.toml", config).ok());
  CommandResult failed = xbuild({"run"}, project);
  EXPECT_EQ(failed.exit_code, 2) << failed.out << failed.err;
  EXPECT_NE(failed.err.find("xbuild.toml:23:17: error: \"linker_script\" in [firmware.target.stm32f405] names "
                            "\"board/stm32f407.ld\", which is not a file in the project's directory: add the linker "
                            "script, or fix the path\n"),
            std::string::npos)
      << failed.err;
  EXPECT_FALSE(fs::exists(project / ".xbuild"));
  // A base that is not bundled, once the file reads well.
  config.replace(config.find("board/stm32f407.ld"), 18, "board/stm32f405.ld");
  ASSERT_TRUE(write_file_atomic(project / "xbuild.toml", config).ok());
  CommandResult unknown = xbuild({"run"}, project);
  EXPECT_EQ(unknown.exit_code, 2) << unknown.out << unknown.err;
  EXPECT_NE(unknown.err.find("none/arm/stm32f405: xbuild.toml:21:8: base \"cortex-m4x\" in "
                             "[firmware.target.stm32f405] is not a bundled target; did you mean \"cortex-m4\"? (known: "
                             "cortex-m0, cortex-m0plus, cortex-m3, cortex-m33, cortex-m4, cortex-m4f, cortex-m55, "
                             "cortex-m7)\n"),
            std::string::npos)
      << unknown.err;
  CommandResult plan = xbuild({"plan"}, project);
  EXPECT_NE(plan.out.find("  none/arm/stm32f405: xbuild.toml:21:8: base \"cortex-m4x\""), std::string::npos)
      << plan.out << plan.err;
}

}  // namespace
}  // namespace xb::testing
