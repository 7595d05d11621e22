// A firmware's sizes as arm-none-eabi-size counts them, held against a budget ([firmware]
// max_flash / max_ram) and against a baseline (`xbuild run --size-baseline FILE`: a size table,
// either the firmware-size.txt a run writes into its state directory or the Berkeley output of
// arm-none-eabi-size, such as an artifact's NAME.size.txt).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace xb::firmware {

struct Sizes {
  std::uint64_t text = 0, data = 0, bss = 0;
  std::uint64_t flash() const { return text + data; }  // what is written to flash
  std::uint64_t ram() const { return data + bss; }     // what RAM holds before the heap and stack
  bool operator==(const Sizes&) const = default;
};

// "512 B", "64 KiB", "70.3 KiB", "1.5 MiB" (one decimal, none when it is 0).
std::string format_bytes(std::uint64_t bytes);

struct Budget {
  std::optional<std::uint64_t> max_flash, max_ram;
};

// A line per limit `sizes` is over: "cortex-m4: flash 70.3 KiB > max_flash 64 KiB, 6.3 KiB over
// (text 68.1 KiB + data 2.2 KiB)", and the same for ram (data + bss).
std::vector<std::string> budget_overruns(const std::string& target, const Sizes& sizes, const Budget& budget);

// One row of a size table: its name column (a target, or the file arm-none-eabi-size named).
struct SizeRow {
  std::string name;
  Sizes sizes;
};

// A size table: a header line naming the columns (text, data and bss among them; the name
// column last, "target" or "filename"), then a row per firmware. `file` names it in messages.
Result<std::vector<SizeRow>> parse_size_table(std::string_view text, const std::string& file);

// Each target's row of a baseline: the row named after it (or after its ELF: "cortex-m4.elf"),
// else the only row when both the table and the run have just one. A table that matches none
// of `targets` is an error; a target it lacks has no baseline.
Result<std::map<std::string, Sizes>> match_baseline(const std::vector<SizeRow>& rows,
                                                    const std::vector<std::string>& targets, const std::string& file);

struct TargetSizes {
  std::string target;
  Sizes sizes;
  std::optional<Sizes> baseline;
  Budget budget;
};

// The line a run prints per target: "firmware cortex-m4: text 7080 (+12), data 108 (+0), bss
// 340 (-8); flash 7188 of 256 KiB (2.7%), ram 448"; without a baseline no deltas; with a baseline
// that lacks the target "; no baseline for it".
std::string size_line(const TargetSizes& target, bool have_baseline);

// The size table a run writes (<state dir>/firmware-size.txt), readable as a baseline: columns
// text data bss flash ram, with a baseline text_delta data_delta bss_delta ("none" for a target
// it lacks), then target.
std::string render_size_table(const std::vector<TargetSizes>& targets, bool have_baseline);

}  // namespace xb::firmware
