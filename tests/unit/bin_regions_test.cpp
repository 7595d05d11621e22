// The .bin regions of a firmware: objdump -h read, loaded sections grouped by load address, a
// new region past a 16 MiB gap, and each region's file name; canned objdump output of an ELF
// linked with -Tdata=0x20000000 (code at 0x8000, data loaded in RAM) and of a flash layout.
#include "firmware/bin_regions.h"

#include <gtest/gtest.h>

namespace xb::firmware {
namespace {

// arm-none-eabi-objdump -h of `gcc --specs=rdimon.specs -Tdata=0x20000000` (shortened).
const char* kSplitObjdump = R"(
split.elf:     file format elf32-littlearm

Sections:
Idx Name          Size      VMA       LMA       File off  Algn
  0 .data         00000970  20000000  20000000  00003000  2**3
                  CONTENTS, ALLOC, LOAD, DATA
  1 .init         0000000c  00008000  00008000  00001000  2**2
                  CONTENTS, ALLOC, LOAD, READONLY, CODE
  2 .text         00001d24  0000800c  0000800c  0000100c  2**2
                  CONTENTS, ALLOC, LOAD, READONLY, CODE
  3 .persistent   00000000  20000970  20000970  00003970  2**0
                  CONTENTS, ALLOC, LOAD, DATA
  4 .bss          00000114  20000970  20000970  00003970  2**2
                  ALLOC
  5 .comment      00000026  00000000  00000000  00003970  2**0
                  CONTENTS, READONLY
  6 .debug_aranges 00000380  00000000  00000000  00003998  2**3
                  CONTENTS, READONLY, DEBUGGING, OCTETS
)";

TEST(ParseSectionHeaders, ReadsEachSectionsSizeLoadAddressAndWhetherItIsLoaded) {
  Result<std::vector<Section>> sections = parse_section_headers(kSplitObjdump);
  ASSERT_TRUE(sections.ok()) << sections.error();
  ASSERT_EQ(sections.value().size(), 7u);
  EXPECT_EQ(sections.value()[0].name, ".data");
  EXPECT_EQ(sections.value()[0].size, 0x970u);
  EXPECT_EQ(sections.value()[0].lma, 0x20000000u);
  EXPECT_TRUE(sections.value()[0].loaded);
  EXPECT_FALSE(sections.value()[4].loaded);  // .bss: ALLOC only
  EXPECT_FALSE(sections.value()[5].loaded);  // .comment: not loaded
  EXPECT_EQ(sections.value()[6].name, ".debug_aranges");
}

TEST(ParseSectionHeaders, ALineItCannotReadIsAnError) {
  EXPECT_EQ(parse_section_headers("Idx Name\n  0 .text 00000010 zz\n   CONTENTS\n").error(),
            "unexpected objdump -h line: \"  0 .text 00000010 zz\"");
  EXPECT_EQ(parse_section_headers("  0 .text 0000001g 0 0 0 2**2\n   CONTENTS\n").error(),
            "unexpected objdump -h line: \"  0 .text 0000001g 0 0 0 2**2\"");
}

TEST(BinRegions, CodeInFlashAndDataLoadedInRamAreTwoFilesNamedByAddress) {
  std::vector<BinRegion> regions = bin_regions(parse_section_headers(kSplitObjdump).value(), "firmware");
  ASSERT_EQ(regions.size(), 2u);
  EXPECT_EQ(regions[0].start, 0x8000u);
  EXPECT_EQ(regions[0].end, 0x8000u + 0xc + 0x1d24);
  EXPECT_EQ(regions[0].sections, (std::vector<std::string>{".init", ".text"}));
  EXPECT_EQ(regions[0].file, "firmware.0x00008000.bin");
  EXPECT_EQ(regions[1].start, 0x20000000u);
  EXPECT_EQ(regions[1].sections, (std::vector<std::string>{".data"}));  // the empty .persistent left out
  EXPECT_EQ(regions[1].file, "firmware.0x20000000.bin");
}

TEST(BinRegions, GapsUpTo16MiBStayInOneBin) {
  // Vectors at 0x0, code at 0x8000, data loaded after the code (AT> FLASH), and a table 16 MiB
  // past the end of the data: one region, NAME.bin.
  std::vector<Section> sections = {{".vectors", 0x40, 0x0, true},
                                   {".text", 0x1000, 0x8000, true},
                                   {".data", 0x64, 0x9000, true},
                                   {".table", 0x10, 0x9064 + kMaxBinGap, true}};
  std::vector<BinRegion> regions = bin_regions(sections, "fw");
  ASSERT_EQ(regions.size(), 1u);
  EXPECT_EQ(regions[0].file, "fw.bin");
  EXPECT_EQ(regions[0].start, 0u);
  EXPECT_EQ(regions[0].end, 0x9074u + kMaxBinGap);
  sections.back().lma += 1;  // one byte further: a region of its own
  regions = bin_regions(sections, "fw");
  ASSERT_EQ(regions.size(), 2u);
  EXPECT_EQ(regions[1].file, "fw.0x01009065.bin");
}

TEST(BinRegions, NothingLoadedIsNoRegion) {
  EXPECT_TRUE(bin_regions({{".bss", 0x100, 0x20000000, false}, {".text", 0, 0x0, true}}, "fw").empty());
}

TEST(HexAddress, EightHexDigits) {
  EXPECT_EQ(hex_address(0), "0x00000000");
  EXPECT_EQ(hex_address(0x08000000), "0x08000000");
  EXPECT_EQ(hex_address(0x20000be0), "0x20000be0");
}

}  // namespace
}  // namespace xb::firmware
