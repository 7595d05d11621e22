#!/usr/bin/env python3
"""Counts what `meson test` ran: every GoogleTest case (from the XML report each test binary
writes as <build>/<test>.xml, tests/meson.build) and every other test as one. Prints failures
and skips by name, then the last line "N passed, N failed[, N skipped]"; a test meson lists (for
the selection given after the build directory) that has no result is a failure. With CI=true a skipped test counts as failed: CI installs
every tool, so a skip there means a missing install step. Exit status 1 if anything failed."""
import json
import os
import pathlib
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

build = pathlib.Path(sys.argv[1])
in_ci = os.environ.get("CI") == "true"
passed, failed, skipped = 0, [], []
log = build / "meson-logs" / "testlog.json"
entries = [json.loads(line) for line in log.read_text().splitlines() if line.strip()] if log.exists() else []
if not entries:
    print("no test ran (meson-logs/testlog.json is missing or empty)")
    failed.append("<no tests>")


def read_cases(report):
    """The <testcase> elements of a GoogleTest report. A failure message may hold bytes that are
    not UTF-8 or characters XML forbids (a test echoing a binary's output): they are replaced,
    so that one odd message cannot hide every other result."""
    text = report.read_bytes().decode("utf-8", errors="replace")
    text = re.sub("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]", "?", text)
    return list(ET.fromstring(text).iter("testcase"))


# Every test meson knows must have a result: one missing means `meson test` itself stopped.
# The arguments after the build directory are the ones `meson test` was given (a selection).
listed = subprocess.run(["meson", "test", "-C", str(build), "--list", "--no-rebuild", *sys.argv[2:]],
                        capture_output=True, text=True)
recorded = {entry["name"] for entry in entries}
for name in listed.stdout.split():
    if name not in recorded:
        failed.append(f"{name}: meson test recorded no result (see meson-logs/testlog.txt)")

def count_cases(prefix, cases):
    """Each GoogleTest case into passed, failed or skipped, named PREFIX: Class.name."""
    global passed
    for case in cases:
        full = f"{prefix}: {case.get('classname')}.{case.get('name')}"
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(full)
        elif case.get("result") == "skipped" or case.find("skipped") is not None:
            skipped.append(full)
        else:
            passed += 1


for entry in entries:
    name, result = entry["name"], entry["result"]
    report = build / f"{name}.xml"
    if entry.get("protocol") == "gtest" or report.exists():
        cases = read_cases(report) if report.exists() else []
        counted = len(cases)
        count_cases(name, cases)
        # A binary that crashed, timed out or failed outside any test case still fails.
        if result not in ("OK", "SKIP") and not any(f.startswith(name + ":") for f in failed):
            failed.append(f"{name}: {result} (see meson-logs/testlog.txt)")
        if counted == 0 and result == "OK":
            passed += 1
    elif result == "OK":
        passed += 1
    elif result == "SKIP":
        skipped.append(name)
    else:
        failed.append(f"{name}: {result}")

# The quality jobs of scripts/quality.sh (format, tidy, sanitizers), one report each in
# <build>/quality/: every case counts, named after its report.
for report in sorted((build / "quality").glob("*.xml")):
    count_cases(report.stem, read_cases(report))

if in_ci and skipped:
    print("CI=true: skipped tests count as failures (every tool is installed in CI)")
    failed += [f"{s} (skipped)" for s in skipped]
    skipped = []
for name in failed:
    print(f"FAILED  {name}")
for name in skipped:
    print(f"SKIPPED {name}")
summary = f"{passed} passed, {len(failed)} failed"
if skipped:
    summary += f", {len(skipped)} skipped"
print(summary)
sys.exit(1 if failed else 0)
