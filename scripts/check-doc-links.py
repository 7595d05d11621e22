#!/usr/bin/env python3
"""Checks the relative links of README.md and docs/*.md: each must name an existing file, and a
#fragment must name a heading of the linked Markdown file (GitHub's anchors: lowercase, spaces to
hyphens, punctuation other than - and _ dropped, -1, -2... for repeated headings) or an explicit
<a id="..."> / <a name="...">. Links inside code blocks and inline code are not links.

  scripts/check-doc-links.py [ROOT]     ROOT: the source tree (default: this script's parent)

Prints one line per broken link (file:line: target: why) and exits 1 if there is any, else
prints "N links checked" and exits 0.
"""
import os
import re
import sys
import urllib.parse

LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s+<?(\S+?)>?(?:\s.*)?$")
HTML_ANCHOR = re.compile(r"<a\s+(?:[^>]*\s)?(?:id|name)=\"([^\"]+)\"", re.IGNORECASE)
FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")


def prose_lines(text):
    """(line number, line) of the lines outside fenced code blocks."""
    fence = None
    for number, line in enumerate(text.splitlines(), 1):
        match = FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
            continue
        if fence is not None:
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = None
            continue
        yield number, line


def without_inline_code(line):
    return re.sub(r"(`+)(?:(?!\1).)+?\1", lambda m: " " * len(m.group(0)), line)


def github_anchor(heading):
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text only
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors_of(path, cache={}):
    if path not in cache:
        with open(path, encoding="utf-8") as file:
            text = file.read()
        anchors, seen = set(), {}
        for _, line in prose_lines(text):
            match = HEADING.match(line)
            if match:
                anchor = github_anchor(match.group(2))
                count = seen.get(anchor, 0)
                seen[anchor] = count + 1
                anchors.add(anchor if count == 0 else f"{anchor}-{count}")
            anchors.update(HTML_ANCHOR.findall(line))
        cache[path] = anchors
    return cache[path]


def targets_of(text):
    for number, line in prose_lines(text):
        definition = REFERENCE_DEFINITION.match(line)
        if definition:
            yield number, definition.group(1)
            continue
        for match in LINK.finditer(without_inline_code(line)):
            yield number, match.group(1)


def check(root, document):
    problems, checked = [], 0
    with open(document, encoding="utf-8") as file:
        text = file.read()
    shown = os.path.relpath(document, root)
    for number, target in targets_of(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):  # http:, https:, mailto:
            continue
        checked += 1
        path_part, _, fragment = target.partition("#")
        path = (os.path.normpath(os.path.join(os.path.dirname(document), urllib.parse.unquote(path_part)))
                if path_part else document)
        if path_part and not os.path.exists(path):
            problems.append(f"{shown}:{number}: {target}: {os.path.relpath(path, root)} does not exist")
            continue
        if not fragment:
            continue
        if not path.endswith(".md") or os.path.isdir(path):
            problems.append(f"{shown}:{number}: {target}: a #fragment needs a Markdown file")
        elif urllib.parse.unquote(fragment) not in anchors_of(path):
            problems.append(f"{shown}:{number}: {target}: {os.path.relpath(path, root)} has no heading "
                            f"for #{fragment}")
    return problems, checked


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
    documents = [os.path.join(root, "README.md")]
    docs = os.path.join(root, "docs")
    if os.path.isdir(docs):
        documents += sorted(os.path.join(docs, name) for name in os.listdir(docs) if name.endswith(".md"))
    problems, checked = [], 0
    for document in documents:
        if os.path.exists(document):
            found, count = check(root, document)
            problems += found
            checked += count
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} broken of {checked} links checked")
        return 1
    print(f"{checked} links checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
