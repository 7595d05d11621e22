// The debugging session's parts: QEMU's command line (firmware test's, halted, with the stub),
// gdb's, a free port and the LISTEN check against a real socket, and the errors before anything
// starts, by exact text.
#include "firmware/debug.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>

#include "firmware/qemu_test.h"
#include "support/scratch_dir.h"
#include "toolchain/toolchain.h"
#include "util/fs.h"

namespace xb::firmware {
namespace {

namespace fs = std::filesystem;

Target cortex_m3() { return find_target(data_directory() / "toolchains" / "firmware", "cortex-m3").value(); }

TEST(FirmwareDebug, QemuStartsAsFirmwareTestStartsItHaltedWithItsStubOnLoopback) {
  std::vector<std::string> command = qemu_debug_command(cortex_m3(), "/w/fw.elf", 4321);
  std::vector<std::string> test = qemu_command(cortex_m3(), "/w/fw.elf");
  ASSERT_EQ(command.size(), test.size() + 3);
  EXPECT_TRUE(std::equal(test.begin(), test.end(), command.begin()));
  EXPECT_EQ(std::vector<std::string>(command.end() - 3, command.end()),
            (std::vector<std::string>{"-S", "-gdb", "tcp:127.0.0.1:4321"}));
}

TEST(FirmwareDebug, GdbLoadsTheElfAttachesAndThenTakesTheExtraArguments) {
  EXPECT_EQ(gdb_command("/w/fw.elf", 4321, {"-batch", "-ex", "break main"}),
            (std::vector<std::string>{"gdb-multiarch", "-q", "/w/fw.elf", "-ex", "target remote 127.0.0.1:4321",
                                      "-batch", "-ex", "break main"}));
}

TEST(FirmwareDebug, AFreePortIsNotListenedOnUntilSomethingListensThere) {
  Result<int> port = free_port();
  ASSERT_TRUE(port.ok()) << port.error();
  EXPECT_GT(port.value(), 0);
  EXPECT_FALSE(listening(port.value()));
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port.value()));
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  EXPECT_FALSE(listening(port.value()));  // bound, not listening
  ASSERT_EQ(::listen(fd, 1), 0);
  EXPECT_TRUE(listening(port.value()));
  ::close(fd);
  EXPECT_FALSE(listening(port.value()));
}

TEST(FirmwareDebug, AMissingElfIsAnErrorBeforeAnythingStarts) {
  DebugOptions options;
  options.elf = "/nonexistent/fw.elf";
  EXPECT_EQ(debug(cortex_m3(), options).error(), "/nonexistent/fw.elf does not exist; build it first");
}

TEST(FirmwareDebug, NoGdbMultiarchOrNoQemuOnPathIsAnErrorThatSaysWhatToInstall) {
  testing::ScratchDir scratch;
  ASSERT_TRUE(write_file_atomic(scratch.path() / "fw.elf", "ELF").ok());
  std::string saved = std::getenv("PATH") ? std::getenv("PATH") : "";
  ::setenv("PATH", scratch.path().c_str(), 1);
  DebugOptions options;
  options.elf = scratch.path() / "fw.elf";
  Result<int> no_gdb = debug(cortex_m3(), options);
  options.print_only = true;  // --print needs no gdb of ours
  Result<int> no_qemu = debug(cortex_m3(), options);
  ::setenv("PATH", saved.c_str(), 1);
  EXPECT_EQ(no_gdb.error(),
            "gdb-multiarch is not on PATH; install it (apt-get install gdb-multiarch), or use --print and attach a gdb "
            "of your own");
  EXPECT_EQ(no_qemu.error(), "qemu-system-arm is not on PATH; install qemu-system-arm (target cortex-m3)");
}

}  // namespace
}  // namespace xb::firmware
