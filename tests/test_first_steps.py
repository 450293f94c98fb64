"""A newcomer's first steps: `odnb --version`, a profile that becomes the default only when asked, an
ad-hoc server that inherits nothing from the default profile, and `help(odnb.connect)` that lists options."""

from __future__ import annotations

import pydoc
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import odnb
from odnb.cli import main
from odnb.demo import DEMO_CUSTOMER_KEY, DEMO_DEVELOPER_KEY


def test_version_prints_and_exits_0() -> None:
    out = subprocess.run([sys.executable, "-m", "odnb", "--version"], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == f"odnb {odnb.__version__}"


def add(name: str, *extra: str) -> int:
    return main(["config", "add", name, "--mode", "remote", "--tier", "read_all",
                 "--developer-key-env", "X_DEV", "--customer-key-env", "X_CUST", *extra])


def test_config_add_makes_a_default_only_with_default(isolated_home: Path, capsys) -> None:
    assert add("first") == 0
    out = capsys.readouterr().out
    assert "Not made the default profile" in out and "--profile first" in out
    data = tomllib.loads((isolated_home / "config.toml").read_text())
    assert "default" not in data
    assert add("second", "--default") == 0
    assert "Not made the default" not in capsys.readouterr().out
    assert tomllib.loads((isolated_home / "config.toml").read_text())["default"] == "second"


def test_explicit_base_url_inherits_no_mode_or_throttle(isolated_home: Path, make_simulator) -> None:
    assert add("office", "--default") == 0  # a remote, throttled default profile
    server = make_simulator()
    od = odnb.connect(base_url=server.base_url, developer_key=DEMO_DEVELOPER_KEY,
                      customer_key=DEMO_CUSTOMER_KEY)
    assert od.profile.name != "office"
    assert od.profile.mode == "service" and od.profile.min_interval == 0.0
    assert len(od.get("providers")) > 0  # and it talks to that server, unthrottled


def test_help_of_connect_lists_its_options() -> None:
    text = pydoc.render_doc(odnb.connect, renderer=pydoc.plaintext)
    for option in ("base_url", "developer_key", "customer_key", "mode", "tier", "cache", "session",
                   "progress", "min_interval", "expire_after"):
        assert f"{option}:" in text or f"{option}," in text, option


@pytest.mark.parametrize("target", ["demo", "lab"])
def test_make_targets_say_how_to_run_odnb(target: str) -> None:
    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text()
    recipe = makefile.split(f"\n{target}:", 1)[1].split("\n\n", 1)[0]
    assert "$(BIN)/odnb" in recipe and "make shell" in recipe
    if target == "lab":
        assert '[ "$$(id -u)" = 0 ] && echo --allow-root' in recipe
