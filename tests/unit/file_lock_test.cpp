#include "util/file_lock.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "support/scratch_dir.h"

namespace xb {
namespace {

using testing::ScratchDir;

TEST(FileLock, ASecondExclusiveLockSaysItWaitsAndGetsTheLockWhenTheFirstIsReleased) {
  ScratchDir scratch;
  std::optional<FileLock> first = FileLock::acquire(scratch / "state/lock", FileLock::Mode::exclusive).value();
  std::atomic<bool> waited{false}, acquired{false};
  std::thread second([&] {
    Result<FileLock> lock =
        FileLock::acquire(scratch / "state/lock", FileLock::Mode::exclusive, [&] { waited = true; });
    acquired = lock.ok() && lock.value().held();
  });
  while (!waited) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(acquired);
  first.reset();
  second.join();
  EXPECT_TRUE(acquired);
}

TEST(FileLock, SharedLocksDoNotWaitForEachOther) {
  ScratchDir scratch;
  bool waited = false;
  FileLock first = FileLock::acquire(scratch / "lock", FileLock::Mode::shared).value();
  FileLock second = FileLock::acquire(scratch / "lock", FileLock::Mode::shared, [&] { waited = true; }).value();
  EXPECT_FALSE(waited);
  EXPECT_TRUE(first.held() && second.held());
}

TEST(FileLock, AnUnwritableDirectoryIsNamed) {
  Result<FileLock> lock = FileLock::acquire("/proc/xbuild-no/lock", FileLock::Mode::shared);
  ASSERT_FALSE(lock.ok());
  EXPECT_EQ(lock.error(), "cannot open the lock file /proc/xbuild-no/lock: No such file or directory");
}

}  // namespace
}  // namespace xb
