// Tests for util/libarchive: the library loads once, from any thread, and a forwarding function
// called before it is loaded stops the process with a message instead of jumping through null.
#include "util/libarchive.h"

#include <archive.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace xb {
namespace {

TEST(LibarchiveTest, LoadsOnceFromManyThreads) {
  // The packer's workers call it at the same time.
  std::atomic<int> loaded{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      if (require_libarchive()) ++loaded;
    });
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(loaded.load(), 8);
  struct archive* writer = archive_write_new();
  ASSERT_NE(writer, nullptr);
  EXPECT_EQ(archive_write_set_format_pax_restricted(writer), ARCHIVE_OK);
  EXPECT_EQ(archive_write_free(writer), ARCHIVE_OK);
}

TEST(LibarchiveTest, ACallBeforeLoadingAborts) {
  // "threadsafe" runs the statement in a new process, where nothing has loaded libarchive yet.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(archive_write_new(),
               "xbuild: internal error: archive_write_new\\(\\) called before require_libarchive\\(\\) loaded "
               "libarchive");
}

}  // namespace
}  // namespace xb
