"""Profiles: file format, precedence, key sources, keyring, private folders, and `odnb config` commands."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from odnb.api import profiles as config
from odnb.api.errors import ConfigError
from odnb.api.profiles import (
    MailSettings,
    Profile,
    key_sources,
    load_mail_settings,
    load_profile,
    save_profile,
)
from odnb.cli import main
from odnb.paths import practice_dir, reports_dir

DEV = "devKEY-7f3a9c1e5b"
CUST = "custKEY-29d4e8a6f0"
OTHER = "overrideKEY-55aa11"
ROOT = Path(__file__).resolve().parent.parent


def write_config(home: Path, text: str, mode: int = 0o600) -> Path:
    path = Path(os.environ["ODNB_CONFIG"])
    path.write_text(text)
    path.chmod(mode)
    return path


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


class MemoryKeyring(KeyringBackend):
    """A keyring backend that keeps entries in a dict (for tests only)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.entries.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


OFFICE = f"""
default = "office"

[profiles.office]
mode = "service"
base_url = "http://frontdesk:30223/api/v1"
tier = "paid"
developer_key_env = "OFFICE_DEV"
customer_key = "{CUST}"
"""


# ------------------------------------------------------------------ resolution and precedence


def test_profile_from_file_env_and_file_keys(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(isolated_home, OFFICE)
    monkeypatch.setenv("OFFICE_DEV", DEV)
    p = load_profile()  # the file's default
    assert (p.name, p.mode, p.tier) == ("office", "service", "paid")
    assert p.base_url == "http://frontdesk:30223/api/v1"
    assert (p.developer_key, p.customer_key) == (DEV, CUST)
    assert p.page_size == 1000 and p.min_interval == 0.0
    assert DEV not in repr(p) and CUST not in repr(p)
    assert key_sources() == config.KeySources(developer="env OFFICE_DEV", customer="file")


def test_precedence_argument_over_environment_over_profile(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(isolated_home, OFFICE)
    monkeypatch.setenv("OFFICE_DEV", DEV)
    monkeypatch.setenv("ODNB_DEVELOPER_KEY", OTHER)
    monkeypatch.setenv("ODNB_BASE_URL", "http://envhost:30223/api/v1")
    p = load_profile("office")
    assert p.developer_key == OTHER and p.base_url == "http://envhost:30223/api/v1"
    assert key_sources("office").developer == "env ODNB_DEVELOPER_KEY"
    p = load_profile("office", developer_key="argKEY", customer_key="argCUST", base_url="http://arg:1/api/v1",
                     tier="enterprise")
    assert (p.developer_key, p.customer_key, p.base_url, p.tier) == ("argKEY", "argCUST",
                                                                     "http://arg:1/api/v1", "enterprise")
    assert p.mode == "service"  # the profile's mode survives a URL override


def test_profile_name_from_environment_beats_file_default(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(isolated_home, OFFICE + '\n[profiles.cloud]\nmode = "remote"\n'
                 'developer_key = "d1"\ncustomer_key = "c1"\n')
    monkeypatch.setenv("ODNB_PROFILE", "cloud")
    p = load_profile()
    assert (p.name, p.mode, p.base_url) == ("cloud", "remote", "https://api.opendental.com/api/v1")
    assert p.page_size == 100 and p.min_interval == 5.0


def test_base_url_alone_gives_an_adhoc_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ODNB_BASE_URL", "http://127.0.0.1:30222/api/v1")
    monkeypatch.setenv("ODNB_DEVELOPER_KEY", DEV)
    monkeypatch.setenv("ODNB_CUSTOMER_KEY", CUST)
    p = load_profile()
    assert p.name == "url-127.0.0.1-30222" and p.mode == "local"


def test_mode_given_as_url_and_server_shorthand(isolated_home: Path) -> None:
    write_config(isolated_home, '[profiles.a]\nmode = "https://api.opendental.com/api/v1"\n'
                 'developer_key = "d"\ncustomer_key = "c"\n'
                 '[profiles.b]\nmode = "service"\nserver = "dentsrv"\n'
                 'developer_key = "d"\ncustomer_key = "c"\n')
    assert load_profile("a").mode == "remote"
    assert load_profile("b").base_url == "http://dentsrv:30223/api/v1"


# ------------------------------------------------------------------ errors


def test_missing_key_names_profile_kind_and_three_ways(isolated_home: Path) -> None:
    write_config(isolated_home, f'[profiles.office]\nmode = "remote"\ndeveloper_key = "{DEV}"\n'
                 'customer_key_env = "OFFICE_CUST"\n')
    with pytest.raises(ConfigError) as info:
        load_profile("office")
    text = f"{info.value} {info.value.fix} {info.value!r}"
    assert "'office'" in text and "customer key" in text and "env OFFICE_CUST (not set)" in text
    assert "keyring" in text and "ODNB_CUSTOMER_KEY" in text and "customer_key =" in text
    assert DEV not in text


def test_bad_toml_names_file_and_line(isolated_home: Path) -> None:
    path = write_config(isolated_home, '[profiles.office]\nmode = "remote"\ntier = read_all\n')
    with pytest.raises(ConfigError) as info:
        load_profile("office")
    assert f"{path}, line 3" in str(info.value) and "Invalid value" in str(info.value)


@pytest.mark.parametrize(("setting", "valid"), [("mode", "remote, local, service"),
                                                ("tier", "read_all, paid, enterprise")])
def test_unknown_mode_or_tier_lists_valid_ones(isolated_home: Path, setting: str, valid: str) -> None:
    base = {"mode": "remote", "tier": "paid"}
    base[setting] = "turbo"
    write_config(isolated_home, f'[profiles.x]\nmode = "{base["mode"]}"\ntier = "{base["tier"]}"\n'
                 'developer_key = "d"\ncustomer_key = "c"\n')
    with pytest.raises(ConfigError) as info:
        load_profile("x")
    assert "'turbo'" in str(info.value) and valid in info.value.fix


def test_unknown_profile_lists_known_ones(isolated_home: Path) -> None:
    write_config(isolated_home, OFFICE)
    with pytest.raises(ConfigError) as info:
        load_profile("nope")
    assert "demo, office" in str(info.value) and "odnb config add nope" in info.value.fix


def test_keys_in_a_world_readable_file_are_refused(isolated_home: Path) -> None:
    text = OFFICE.replace('developer_key_env = "OFFICE_DEV"', 'developer_key = "d"')
    path = write_config(isolated_home, text, mode=0o644)
    with pytest.raises(ConfigError) as info:
        load_profile("office")
    assert f"chmod 600 {path}" in info.value.fix and CUST not in str(info.value)


# ------------------------------------------------------------------ demo


def test_demo_is_the_default_and_starts_once_per_process() -> None:
    from odnb.demo import DEMO_CUSTOMER_KEY, DEMO_DEVELOPER_KEY

    first, second = load_profile(), load_profile("demo")
    assert first.name == "demo" and first.mode == "service"
    assert first.base_url == second.base_url and first.base_url.startswith("http://127.0.0.1:")
    assert (first.developer_key, first.customer_key) == (DEMO_DEVELOPER_KEY, DEMO_CUSTOMER_KEY)


def test_demo_with_a_url_override_keeps_demo_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    from odnb.demo import DEMO_READONLY_CUSTOMER_KEY

    monkeypatch.setenv("ODNB_CUSTOMER_KEY", DEMO_READONLY_CUSTOMER_KEY)
    p = load_profile("demo", base_url="http://127.0.0.1:9/api/v1", mode="remote")
    assert (p.base_url, p.mode, p.customer_key) == ("http://127.0.0.1:9/api/v1", "remote",
                                                    DEMO_READONLY_CUSTOMER_KEY)


# ------------------------------------------------------------------ folders and mail


def test_practice_and_report_dirs_are_private(isolated_home: Path) -> None:
    p = Profile(name="office", mode="service", base_url="http://x:1/api/v1", developer_key="d",
                customer_key="c")
    d = practice_dir(p)
    assert d == isolated_home / "cache" / "office" and mode_of(d) == 0o700
    d.chmod(0o755)
    assert mode_of(practice_dir(p)) == 0o700  # tightened again
    r = reports_dir(p)
    assert r == isolated_home / "reports" / "office" and mode_of(r) == 0o700
    own = Profile(name="o", mode="service", base_url="http://x:1/api/v1", developer_key="d", customer_key="c",
                  cache_dir=isolated_home / "elsewhere")
    assert practice_dir(own) == isolated_home / "elsewhere" and mode_of(own.cache_dir) == 0o700


def test_mail_settings(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_mail_settings() is None
    write_config(isolated_home, '[mail]\nhost = "smtp.example.com"\nsecurity = "ssl"\nuser = "me"\n'
                 'password_env = "MY_SMTP_PW"\nsender = "reports@example.com"\n')
    monkeypatch.setenv("MY_SMTP_PW", "pw-from-env-123")
    mail = load_mail_settings()
    assert mail == MailSettings(host="smtp.example.com", port=465, security="ssl", user="me",
                                password="pw-from-env-123", sender="reports@example.com")
    assert "pw-from-env-123" not in repr(mail)
    monkeypatch.setenv("ODNB_SMTP_PASSWORD", "override-pw")
    assert load_mail_settings().password == "override-pw"


def test_save_profile_round_trips_awkward_strings(isolated_home: Path) -> None:
    awkward = str(isolated_home / 'C x "q"\ttab\x7f é')
    save_profile("b.c", mode="remote", tier="paid", cache_dir=awkward, customer_key_env="B_KEY",
                 developer_key_env="B_DEV")
    data = tomllib.loads(Path(os.environ["ODNB_CONFIG"]).read_text())
    assert data["profiles"]["b.c"] == {"mode": "remote", "tier": "paid", "cache_dir": awkward,
                                       "developer_key_env": "B_DEV", "customer_key_env": "B_KEY"}


COMMENTED = """\
# Offices of the Smith group. Keys live in the keyring.
default = "north"   # the one most reports use

[profiles.north]  # the main office
mode = "remote"   # via the eConnector
tier = "paid"
customer_key_env = "NORTH_KEY"   # set in the cron environment

# Mail for the weekly reports
[mail]
host = "smtp.example.com"  # the office's provider
sender = "reports@example.com"
"""


def test_config_add_keeps_comments_and_layout(
    isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(isolated_home, COMMENTED)
    code = main(["config", "add", "south", "--mode", "service", "--base-url", "http://srv:30223/api/v1",
                 "--developer-key-env", "SOUTH_DEV", "--customer-key-env", "SOUTH_KEY"])
    assert code == 0, capsys.readouterr()
    text = path.read_text()
    for line in COMMENTED.splitlines():  # every line of the user's file is still there, comments included
        assert line in text
    assert mode_of(path) == 0o600
    data = tomllib.loads(text)
    assert data["default"] == "north"
    assert data["mail"]["host"] == "smtp.example.com"
    assert data["profiles"]["south"] == {"mode": "service", "base_url": "http://srv:30223/api/v1",
                                         "tier": "read_all", "developer_key_env": "SOUTH_DEV",
                                         "customer_key_env": "SOUTH_KEY"}

    # replacing a profile keeps the comments around and inside its table
    code = main(["config", "add", "north", "--mode", "remote", "--tier", "enterprise", "--replace",
                 "--developer-key-env", "NORTH_DEV", "--customer-key-env", "NORTH_KEY2"])
    assert code == 0
    text = path.read_text()
    assert "[profiles.north]  # the main office" in text
    assert 'mode = "remote"   # via the eConnector' in text
    assert "# Offices of the Smith group. Keys live in the keyring." in text
    north = tomllib.loads(text)["profiles"]["north"]
    assert north == {"mode": "remote", "tier": "enterprise", "developer_key_env": "NORTH_DEV",
                     "customer_key_env": "NORTH_KEY2"}


# ------------------------------------------------------------------ `odnb config` commands


def test_config_add_with_keyring_list_and_check(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    memory_keyring: MemoryKeyring,
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{DEV}\n{CUST}\n"))
    code = main(["config", "add", "office", "--mode", "service", "--base-url", "http://frontdesk:30223/api/v1",
                 "--developer-key-keyring", "--customer-key-keyring", "--tier", "paid", "--default"])
    assert code == 0
    assert memory_keyring.entries == {("odnb", "odnb:office:developer"): DEV,
                                      ("odnb", "odnb:office:customer"): CUST}
    path = Path(os.environ["ODNB_CONFIG"])
    assert mode_of(path) == 0o600
    text = path.read_text()
    assert DEV not in text and CUST not in text
    assert tomllib.loads(text)["profiles"]["office"]["developer_key_keyring"] == "odnb:office:developer"
    assert tomllib.loads(text)["default"] == "office"
    p = load_profile("office")
    assert (p.developer_key, p.customer_key, p.tier) == (DEV, CUST, "paid")

    assert main(["config", "list"]) == 0
    assert main(["config", "check"]) == 0
    out = capsys.readouterr()
    listing = out.out
    assert "office" in listing and "keyring" in listing and "built-in demo key" in listing
    assert "Default profile: office" in listing
    assert DEV not in out.out + out.err and CUST not in out.out + out.err


def test_config_add_refuses_demo_and_duplicates(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "add", "demo", "--mode", "remote"]) == 2
    assert main(["config", "add", "office", "--mode", "remote", "--customer-key-env", "C"]) == 0
    assert main(["config", "add", "office", "--mode", "remote"]) == 2
    err = capsys.readouterr().err
    assert "built-in demo" in err and "--replace" in err
    assert main(["config", "add", "office", "--mode", "local", "--replace"]) == 0


def test_config_check_reports_missing_key_and_loose_file(
    isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(isolated_home, '[profiles.office]\nmode = "remote"\ndeveloper_key_env = "NOPE_DEV"\n'
                        'customer_key_env = "NOPE_CUST"\n', mode=0o644)
    assert main(["config", "check"]) == 1
    out = capsys.readouterr().out
    assert f"chmod 600 {path}" in out and "no developer key" in out


def test_config_cli_subprocess_never_prints_keys(isolated_home: Path) -> None:
    exe = ROOT / ".venv" / "bin" / "odnb"
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    add = subprocess.run([str(exe), "config", "add", "office", "--mode", "remote", "--tier", "paid",
                          "--developer-key-stdin", "--customer-key-stdin"],
                         input=f"{DEV}\n{CUST}\n", capture_output=True, text=True, env=env, timeout=60)
    assert add.returncode == 0, add.stderr
    listed = subprocess.run([str(exe), "config", "list"], capture_output=True, text=True, env=env, timeout=60)
    checked = subprocess.run([str(exe), "config", "check", "--profile", "office"], capture_output=True,
                             text=True, env=env, timeout=60)
    assert listed.returncode == 0 and checked.returncode == 0, checked.stdout + checked.stderr
    assert "file" in listed.stdout and "remote" in listed.stdout
    for run in (add, listed, checked):
        assert DEV not in run.stdout + run.stderr and CUST not in run.stdout + run.stderr
    path = Path(env["ODNB_CONFIG"])
    assert mode_of(path) == 0o600
    assert load_profile("office").customer_key == CUST


def test_save_profile_keeps_other_profiles(isolated_home: Path) -> None:
    save_profile("a", mode="remote", customer_key_env="A")
    save_profile("b", mode="service", base_url="http://srv:30223/api/v1", make_default=True)
    data = tomllib.loads(Path(os.environ["ODNB_CONFIG"]).read_text())
    assert set(data["profiles"]) == {"a", "b"} and data["default"] == "b"
    assert data["profiles"]["b"] == {"mode": "service", "base_url": "http://srv:30223/api/v1",
                                     "tier": "read_all"}
