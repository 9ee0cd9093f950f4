"""The fenced code blocks of a Markdown document, and the commands of a shell block.

A block may carry a tag on the line right before its fence, ``<!-- doc-test: TAG -->``, which
tells the test when it can run (docs/deployment.md, "How this document is checked").
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

_FENCE = re.compile(r"^(?P<indent>\s*)```(?P<lang>[\w-]*)\s*$")
_TAG = re.compile(r"^\s*<!--\s*doc-test:\s*(?P<tag>[\w-]+)\s*-->\s*$")
#: Operators that separate commands on one line.
_SEPARATORS = re.compile(r"&&|\|\||;|\|")


@dataclass(frozen=True)
class Block:
    """One fenced block: its language (the fence's info string), text, tag and first line."""

    index: int
    lang: str
    text: str
    tag: str | None
    line: int

    @property
    def name(self) -> str:
        """A short name for test ids: its number and first command."""
        first = next((ln for ln in self.text.splitlines() if ln.strip()), "")
        words = re.sub(r"[^\w.-]+", "-", first).strip("-")[:40]
        return f"{self.index:02d}-{words}"


def read_blocks(path: Path) -> list[Block]:
    """Every fenced block of the document, in order.

    Raises:
        ValueError: a fence is not closed.
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent = len(opening["indent"])
        tag_match = _TAG.match(lines[i - 1]) if i > 0 else None
        body: list[str] = []
        j = i + 1
        while j < len(lines) and lines[j].strip() != "```":
            body.append(lines[j][indent:] if lines[j][:indent].isspace() else lines[j])
            j += 1
        if j == len(lines):
            raise ValueError(f"{path}:{i + 1}: the fence is not closed")
        tag = tag_match["tag"] if tag_match else None
        found.append(Block(len(found), opening["lang"], "\n".join(body) + "\n", tag, i + 1))
        i = j + 1
    return found


def commands(script: str) -> list[list[str]]:
    """The simple commands of a shell script, each as its words: lines joined at trailing
    backslashes, comments dropped, split at ``&&``, ``||``, ``;`` and ``|`` (outside quotes),
    leading ``NAME=value`` assignments dropped. Good enough for documentation examples,
    which use no compound commands."""
    joined = script.replace("\\\n", " ")
    found: list[list[str]] = []
    for line in joined.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        words = list(lexer)
        current: list[str] = []
        for word in [*words, ";"]:
            if _SEPARATORS.fullmatch(word):
                while current and re.fullmatch(r"[A-Za-z_]\w*=.*", current[0]):
                    current.pop(0)
                if current:
                    found.append(current)
                current = []
            else:
                current.append(word)
    return found
