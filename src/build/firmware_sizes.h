// The firmware size pass of `xbuild run`: after the stages, each bare-metal target's ELF is
// measured (arm-none-eabi-size), a line per target printed (with the deltas against
// --size-baseline FILE and the share of [firmware] max_flash / max_ram), the table written to
// <state dir>/firmware-size.txt (the next run's baseline), and a target over its budget fails
// the run before anything is published.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "config/model.h"
#include "firmware/size_budget.h"
#include "plan/plan.h"

namespace xb {

class Terminal;

// --size-baseline FILE read and matched to the run's firmware targets (by name); none: empty.
struct SizeBaseline {
  std::optional<std::filesystem::path> file;
  std::map<std::string, firmware::Sizes> sizes;  // by firmware target name
};

// Read before anything runs: a file that is missing, is no size table or names none of the
// firmware targets is an xb::Error (exit status 2), as is a baseline for a run without firmware.
SizeBaseline read_size_baseline(const std::optional<std::filesystem::path>& file, const Config& config);

// <state dir>/firmware-size.txt.
std::filesystem::path size_table_file(const Plan& plan);

// The pass: measures, prints, writes the table; throws xb::Error with a line per limit a target
// is over. A target whose ELF is missing is left to packaging, which names it. Returns the sizes
// by platform ("none/arm/cortex-m4"), for the --metadata-file.
std::map<std::string, firmware::Sizes> check_firmware_sizes(const Config& config, const Plan& plan,
                                                            const SizeBaseline& baseline, Terminal& terminal);

}  // namespace xb
