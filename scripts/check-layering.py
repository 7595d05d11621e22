#!/usr/bin/env python3
"""Keeps the dependency rule of ARCHITECTURE.md true: a file under src/<folder>/ may include
headers only from its own folder and from the folders the rule's "may use" column lists.
Usage: check-layering.py SOURCE_ROOT. Prints every violation; exit status 1 if there is one."""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
rule = {}
row = re.compile(r"^\|\s*`src/([a-z_]+)/`\s*\|[^|]*\|\s*([^|]*)\|\s*$")
for line in (root / "ARCHITECTURE.md").read_text().splitlines():
    m = row.match(line)
    if m:
        uses = [u.strip(" `") for u in m.group(2).replace("—", "").split(",") if u.strip(" `")]
        rule[m.group(1)] = set(uses)

folders = {p.name for p in (root / "src").iterdir() if p.is_dir()}
problems = []
for folder in sorted(folders - rule.keys()):
    problems.append(f"src/{folder}/ has no row in ARCHITECTURE.md's dependency table")
include = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/')
for path in sorted((root / "src").rglob("*")):
    if path.suffix not in (".h", ".cpp") or path.parent == root / "src":
        continue
    folder = path.relative_to(root / "src").parts[0]
    allowed = rule.get(folder, set()) | {folder}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        m = include.match(line)
        if m and m.group(1) in folders and m.group(1) not in allowed:
            problems.append(f"{path.relative_to(root)}:{number}: src/{folder}/ may not use src/{m.group(1)}/ "
                            f"(ARCHITECTURE.md allows: {', '.join(sorted(rule.get(folder, []))) or 'nothing'})")
for problem in problems:
    print(problem)
print(f"layering: {len(rule)} folders checked, {len(problems)} violation(s)")
sys.exit(1 if problems else 0)
