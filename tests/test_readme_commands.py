"""Every ``odnb ...`` command printed in the README parses as printed with today's CLI (synopsis lines with
``[optional]`` parts and alternatives are skipped): a newcomer copying a line never meets "unrecognized
arguments" or an option that no longer exists."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from odnb.cli import build_parser

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_commands() -> list[str]:
    """The ``odnb`` command lines of the README's code blocks (continuations joined, comments dropped)."""
    commands: list[str] = []
    for block in re.findall(r"```[a-z]*\n(.*?)```", README.read_text(encoding="utf-8"), re.S):
        text = block.replace("\\\n", " ")
        for line in text.splitlines():
            line = re.split(r"\s{2,}#", line)[0].strip()
            if line.startswith("odnb ") and "[" not in line and " | " not in line:
                commands.append(line)
    # and the inline ones in running text that are whole commands (not "`odnb get`", not placeholders)
    for inline in re.findall(r"`(odnb [^`]+)`", README.read_text(encoding="utf-8")):
        words = inline.split()
        if len(words) >= 3 and not any(re.fullmatch(r"[A-Z_]+|\.\.\.|\[.*|\|", w) for w in words):
            commands.append(inline)
    return commands


def test_the_readme_shows_commands() -> None:
    found = readme_commands()
    assert len(found) > 20
    assert any(c.startswith("odnb query ") for c in found) and any("-p period=" in c for c in found)


@pytest.mark.parametrize("command", readme_commands())
def test_readme_command_parses(command: str) -> None:
    argv = shlex.split(command)[1:]
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
    except SystemExit as exc:
        assert exc.code == 0, f"{command!r} does not parse"  # --help / --version exit 0
        return
    assert not extra, f"{command!r}: unrecognized {extra}"
    assert getattr(args, "func", None), f"{command!r} names no command"


def test_the_readme_error_table_is_the_rendered_one() -> None:
    from odnb.api.errors import error_table_markdown

    assert error_table_markdown() in README.read_text(encoding="utf-8"), (
        "README's error table is stale: paste odnb.api.errors.error_table_markdown() over it")
