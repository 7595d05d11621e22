// Sizes against budgets and baselines, by exact text: the byte counts as people read them, the
// overrun lines, the size tables read (arm-none-eabi-size's own and the one a run writes) and
// written, the baseline rows matched to targets, and the line a run prints per target.
#include "firmware/size_budget.h"

#include <gtest/gtest.h>

namespace xb::firmware {
namespace {

TEST(FormatBytes, BytesKibibytesAndMebibytesWithOneDecimalWhenNeeded) {
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(1023), "1023 B");
  EXPECT_EQ(format_bytes(1024), "1 KiB");
  EXPECT_EQ(format_bytes(65536), "64 KiB");
  EXPECT_EQ(format_bytes(71987), "70.3 KiB");
  EXPECT_EQ(format_bytes(1024 * 1024), "1 MiB");
  EXPECT_EQ(format_bytes(1536 * 1024), "1.5 MiB");
}

TEST(BudgetOverruns, FlashIsTextPlusDataAndRamIsDataPlusBss) {
  Sizes sizes{69734, 2253, 1024};  // flash 71987, ram 3277
  EXPECT_EQ(budget_overruns("cortex-m4", sizes, {65536, std::nullopt}),
            (std::vector<std::string>{
                "cortex-m4: flash 70.3 KiB > max_flash 64 KiB, 6.3 KiB over (text 68.1 KiB + data 2.2 KiB)"}));
  EXPECT_EQ(
      budget_overruns("cortex-m4", sizes, {std::nullopt, 2048}),
      (std::vector<std::string>{"cortex-m4: ram 3.2 KiB > max_ram 2 KiB, 1.2 KiB over (data 2.2 KiB + bss 1 KiB)"}));
  EXPECT_EQ(budget_overruns("cortex-m4", sizes, {65536, 2048}).size(), 2u);
}

TEST(BudgetOverruns, ExactlyAtTheLimitPassesAndOneByteOverSaysSo) {
  Sizes sizes{65000, 536, 0};  // flash 65536
  EXPECT_TRUE(budget_overruns("cortex-m3", sizes, {65536, 536}).empty());
  EXPECT_TRUE(budget_overruns("cortex-m3", sizes, {}).empty());
  EXPECT_EQ(
      budget_overruns("cortex-m3", sizes, {65535, std::nullopt}),
      (std::vector<std::string>{"cortex-m3: flash 64 KiB > max_flash 64 KiB, 1 B over (text 63.5 KiB + data 536 B)"}));
}

TEST(ParseSizeTable, ReadsArmNoneEabiSizesBerkeleyOutput) {
  const char* size =
      "   text\t   data\t    bss\t    dec\t    hex\tfilename\n"
      "   7080\t    108\t    340\t   7528\t   1d68\tfirmware.elf\n"
      "  32348\t   2380\t    600\t  35328\t   8a00\tbuild dir/test.elf\n";
  Result<std::vector<SizeRow>> rows = parse_size_table(size, "old.txt");
  ASSERT_TRUE(rows.ok()) << rows.error();
  ASSERT_EQ(rows.value().size(), 2u);
  EXPECT_EQ(rows.value()[0].name, "firmware.elf");
  EXPECT_EQ(rows.value()[0].sizes, (Sizes{7080, 108, 340}));
  EXPECT_EQ(rows.value()[1].name, "build dir/test.elf");
  EXPECT_EQ(rows.value()[1].sizes, (Sizes{32348, 2380, 600}));
}

TEST(ParseSizeTable, ReadsTheTableARunWritesWithAndWithoutDeltas) {
  std::vector<TargetSizes> targets = {{"cortex-m3", {7080, 108, 340}, Sizes{7000, 108, 348}, {}},
                                      {"cortex-m4", {7100, 110, 340}, std::nullopt, {}}};
  const std::string with = render_size_table(targets, true);
  EXPECT_EQ(with,
            "text\tdata\tbss\tflash\tram\ttext_delta\tdata_delta\tbss_delta\ttarget\n"
            "7080\t108\t340\t7188\t448\t+80\t+0\t-8\tcortex-m3\n"
            "7100\t110\t340\t7210\t450\tnone\tnone\tnone\tcortex-m4\n");
  EXPECT_EQ(render_size_table(targets, false),
            "text\tdata\tbss\tflash\tram\ttarget\n"
            "7080\t108\t340\t7188\t448\tcortex-m3\n"
            "7100\t110\t340\t7210\t450\tcortex-m4\n");
  Result<std::vector<SizeRow>> rows = parse_size_table(with, "firmware-size.txt");
  ASSERT_TRUE(rows.ok()) << rows.error();
  ASSERT_EQ(rows.value().size(), 2u);
  EXPECT_EQ(rows.value()[1].name, "cortex-m4");
  EXPECT_EQ(rows.value()[1].sizes, (Sizes{7100, 110, 340}));
}

TEST(ParseSizeTable, SaysWhatIsWrongWithATableByExactText) {
  EXPECT_EQ(parse_size_table("text data\n1 2\n", "b.txt").error(),
            "the size baseline b.txt is not a size table: its first line must name the columns text, data and bss, "
            "and last target or filename (as arm-none-eabi-size prints them, or as xbuild run writes "
            "<state dir>/firmware-size.txt)");
  EXPECT_EQ(parse_size_table("", "b.txt").error(), parse_size_table("text data\n", "b.txt").error());
  EXPECT_EQ(parse_size_table("text data bss target\n1 2 x cortex-m3\n", "b.txt").error(),
            "the size baseline b.txt:2: expected 4 columns with numbers under text, data and bss, found \"1 2 x "
            "cortex-m3\"");
  EXPECT_EQ(parse_size_table("text data bss target\n1 2\n", "b.txt").error(),
            "the size baseline b.txt:2: expected 4 columns with numbers under text, data and bss, found \"1 2\"");
  EXPECT_EQ(parse_size_table("text data bss target\n\n", "b.txt").error(),
            "the size baseline b.txt has no rows under its header");
}

TEST(MatchBaseline, ByTargetNameOrElfStemElseTheLoneRowOfALoneTarget) {
  std::vector<SizeRow> rows = {{"cortex-m3", {1, 2, 3}}, {"out/cortex-m4.elf", {4, 5, 6}}, {"(TOTALS)", {5, 7, 9}}};
  Result<std::map<std::string, Sizes>> matched = match_baseline(rows, {"cortex-m3", "cortex-m4", "cortex-m33"}, "b");
  ASSERT_TRUE(matched.ok()) << matched.error();
  EXPECT_EQ(matched.value(), (std::map<std::string, Sizes>{{"cortex-m3", {1, 2, 3}}, {"cortex-m4", {4, 5, 6}}}));

  std::vector<SizeRow> artifact = {{"firmware.elf", {7080, 108, 340}}};
  EXPECT_EQ(match_baseline(artifact, {"cortex-m4"}, "b").value(),
            (std::map<std::string, Sizes>{{"cortex-m4", {7080, 108, 340}}}));
  EXPECT_EQ(match_baseline(artifact, {"cortex-m3", "cortex-m4"}, "firmware.size.txt").error(),
            "the size baseline firmware.size.txt names none of the firmware targets (cortex-m3, cortex-m4), only "
            "firmware.elf; use the firmware-size.txt of an earlier run, which names each target");
}

TEST(SizeLine, SizesWithDeltasAndTheShareOfEachLimit) {
  TargetSizes target{"cortex-m4", {7080, 108, 340}, Sizes{7000, 108, 348}, {262144, 65536}};
  EXPECT_EQ(size_line(target, true),
            "firmware cortex-m4: text 7080 (+80), data 108 (+0), bss 340 (-8); flash 7188 of 256 KiB (2.7%), ram "
            "448 of 64 KiB (0.7%)");
  target.baseline.reset();
  EXPECT_EQ(size_line(target, true),
            "firmware cortex-m4: text 7080, data 108, bss 340; flash 7188 of 256 KiB (2.7%), ram 448 of 64 KiB (0.7%); "
            "no baseline for it");
  target.budget = {};
  EXPECT_EQ(size_line(target, false), "firmware cortex-m4: text 7080, data 108, bss 340; flash 7188, ram 448");
}

}  // namespace
}  // namespace xb::firmware
