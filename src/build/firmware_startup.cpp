#include "build/firmware_startup.h"

#include "firmware/startup.h"
#include "run/terminal.h"
#include "util/error.h"

namespace xb {

void compile_firmware_startups(const Plan& plan, const std::set<std::string>& running, Terminal& terminal) {
  for (const TargetPlan& target : plan.targets) {
    if (!target.firmware || !target.firmware->target.startup || !running.count(target.platform.str())) continue;
    const firmware::Target& firmware = target.firmware->target;
    Result<bool> compiled = firmware::prepare_startup(firmware);
    if (!compiled) throw Error(target.platform.str() + ": " + compiled.error());
    if (compiled.value())
      terminal.output_line("xbuild: " + target.platform.str() + ": compiled the startup " +
                           firmware.startup->source.string() + " into " + firmware.startup->object.string());
  }
}

}  // namespace xb
