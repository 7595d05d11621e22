#!/usr/bin/env python3
"""xbuild.toml's JSON Schema (docs/xbuild.schema.json) against the configs it describes.

Usage: config_schema_test.py SOURCE_ROOT [MAN_PAGE]

- every example (examples/**/xbuild.toml, bench/projects/*.toml) and every valid test config
  (tests/data/config/valid/*.toml) starts with a `#:schema` line naming the schema by its relative
  path, and is valid against it (python3-jsonschema, Draft 7; the TOML read with tomllib);
- the TOML examples of docs/config.md are valid against it, required keys aside (they show parts
  of a file);
- every config of tests/data/config that xbuild refuses for an unknown key is refused by the
  schema too, for that key;
- MAN_PAGE, xbuild.toml(5) as go-md2man made it, gives groff no warning.
Exits 0 when all hold, 1 with each failure, 77 (meson's skip) when jsonschema is missing outside CI.
"""
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

try:
    import jsonschema
except ImportError:
    print("python3-jsonschema is missing (apt-get install python3-jsonschema)", file=sys.stderr)
    sys.exit(1 if os.environ.get("CI") == "true" else 77)

ROOT = Path(sys.argv[1])
SCHEMA_FILE = ROOT / "docs" / "xbuild.schema.json"
failures = []


def fail(message):
    failures.append(message)


def errors_of(validator, document):
    return sorted(validator.iter_errors(document), key=lambda error: list(error.absolute_path))


def describe(error):
    where = ".".join(str(part) for part in error.absolute_path) or "(top level)"
    return f"{where}: {error.message}"


def without_required(node):
    if isinstance(node, dict):
        return {key: without_required(value) for key, value in node.items() if key != "required"}
    if isinstance(node, list):
        return [without_required(value) for value in node]
    return node


schema = json.loads(SCHEMA_FILE.read_text())
jsonschema.Draft7Validator.check_schema(schema)
validator = jsonschema.Draft7Validator(schema)
parts_validator = jsonschema.Draft7Validator(without_required(schema))

# The examples and the valid test configs.
configs = sorted(ROOT.glob("examples/**/xbuild.toml")) + sorted(ROOT.glob("bench/projects/*.toml"))
valid = sorted((ROOT / "tests" / "data" / "config" / "valid").glob("*.toml"))
if len(configs) < 4 or len(valid) < 2:
    fail(f"found {len(configs)} examples and {len(valid)} valid test configs: fewer than there are")
for path in configs + valid:
    name = path.relative_to(ROOT)
    text = path.read_text()
    wanted = "#:schema " + os.path.relpath(SCHEMA_FILE, path.parent)
    if text.split("\n", 1)[0] != wanted:
        fail(f"{name}: its first line must be `{wanted}` (Taplo's schema directive)")
    for error in errors_of(validator, tomllib.loads(text)):
        fail(f"{name}: not valid against docs/xbuild.schema.json: {describe(error)}")

# The TOML examples of docs/config.md.
config_md = (ROOT / "docs" / "config.md").read_text()
blocks = re.findall(r"^```toml\n(.*?)^```", config_md, re.S | re.M)
if len(blocks) < 10:
    fail(f"docs/config.md: {len(blocks)} TOML examples, fewer than there are")
for number, block in enumerate(blocks, 1):
    try:
        document = tomllib.loads(block)
    except tomllib.TOMLDecodeError as error:
        fail(f"docs/config.md: TOML example {number} is not TOML: {error}")
        continue
    for error in errors_of(parts_validator, document):
        fail(f"docs/config.md: TOML example {number}: {describe(error)}")


# Unknown keys: what the reader refuses, the schema refuses, naming the key.
def unexpected_keys(errors):
    for error in errors:
        if error.validator == "additionalProperties":
            yield error.message
        yield from unexpected_keys(error.context or [])


UNKNOWN = re.compile(r'unknown key "((?:[^"\\]|\\.)*)"')
checked = 0
for expected in sorted((ROOT / "tests" / "data" / "config").glob("*.expected")):
    keys = [key for key in UNKNOWN.findall(expected.read_text()) if "\\" not in key and not key.endswith("…")]
    if not keys:
        continue
    toml = expected.with_suffix(".toml")
    try:
        document = tomllib.loads(toml.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        continue  # a case of bytes TOML's grammar refuses before any key is read
    messages = list(unexpected_keys(validator.iter_errors(document)))
    for key in keys:
        checked += 1
        if not any(repr(key) + " was unexpected" in message or repr(key) + " were unexpected" in message
                   or (repr(key) + "," in message and "were unexpected" in message) for message in messages):
            fail(f"{toml.relative_to(ROOT)}: xbuild refuses the unknown key \"{key}\"; the schema does not")
if checked < 10:
    fail(f"only {checked} unknown keys of tests/data/config checked against the schema")

# The man page.
if len(sys.argv) > 2:
    man = Path(sys.argv[2])
    result = subprocess.run(["groff", "-man", "-t", "-ww", "-z", str(man)], capture_output=True, text=True)
    if result.returncode != 0 or result.stderr:
        fail(f"groff -man -t -ww -z {man}: exit {result.returncode}\n{result.stderr}")
    page = man.read_text()
    for heading in (".TH XBUILD.TOML 5 ", ".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION"):
        if heading not in page:
            fail(f"{man}: no {heading}")

for message in failures:
    print("FAIL: " + message)
print(f"{len(configs)} examples, {len(valid)} valid configs, {len(blocks)} documented examples and "
      f"{checked} unknown keys checked; {len(failures)} failures")
sys.exit(1 if failures else 0)
