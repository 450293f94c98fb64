"""Named connection profiles: a TOML file of offices, keys from the OS keyring / environment / file,
the built-in ``demo`` profile, per-practice cache and report folders, and the ``odnb config`` commands.

The config file is ``$ODNB_CONFIG`` or ``<user config dir>/odnb/config.toml``::

    default = "myoffice"

    [profiles.myoffice]
    mode = "service"                      # remote | local | service
    base_url = "http://server:30223/api/v1"
    tier = "read_all"                     # read_all | paid | enterprise (remote throttle)
    developer_key_keyring = "odnb:myoffice:developer"
    customer_key_env = "MYOFFICE_CUSTOMER_KEY"

Example:
    >>> p = Profile(name="x", mode="service", base_url="http://127.0.0.1:30223/api/v1",
    ...             developer_key="devSECRET", customer_key="custSECRET")
    >>> "SECRET" in repr(p)
    False
    >>> p.page_size, p.min_interval
    (1000, 0.0)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import stat
import sys
import tempfile
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from odnb.errors import ConfigError

Mode = Literal["remote", "local", "service"]
Tier = Literal["read_all", "paid", "enterprise"]

# Seconds between two requests per customer key, by tier, in remote mode.
TIER_INTERVAL: dict[str, float] = {"read_all": 5.0, "paid": 1.0, "enterprise": 0.5}
# Largest Limit a list GET takes, by mode.
PAGE_SIZE: dict[str, int] = {"remote": 100, "local": 1000, "service": 1000}

MODES: tuple[str, ...] = tuple(PAGE_SIZE)
TIERS: tuple[str, ...] = tuple(TIER_INTERVAL)
# Base URL used when a profile names only its mode (service mode needs the server: base_url or server).
DEFAULT_BASE_URL: dict[str, str] = {
    "remote": "https://api.opendental.com/api/v1",
    "local": "http://localhost:30222/api/v1",
}
SERVICE_PORT = 30223
REMOTE_HOST = "api.opendental.com"
LOCAL_PORT = 30222

KEY_KINDS: tuple[str, ...] = ("developer", "customer")
KEY_ENV: dict[str, str] = {"developer": "ODNB_DEVELOPER_KEY", "customer": "ODNB_CUSTOMER_KEY"}
KEYRING_SERVICE = "odnb"  # keyring entries are (service "odnb", username = the entry name in the profile)
DEMO_PROFILE = "demo"
EMBEDDED_PLACEHOLDER = "(embedded simulator, started on first use)"
PROFILE_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

# Keys a [profiles.NAME] table may hold, and the [mail] table.
PROFILE_FIELDS: frozenset[str] = frozenset(
    {"mode", "base_url", "server", "tier", "cache_dir"}
    | {f"{kind}_key{suffix}" for kind in KEY_KINDS for suffix in ("", "_env", "_keyring")}
)
MAIL_FIELDS: frozenset[str] = frozenset(
    {"host", "port", "security", "user", "password", "password_env", "password_keyring", "sender"}
)
MAIL_SECURITY_PORT: dict[str, int] = {"starttls": 587, "ssl": 465, "none": 25}


@dataclass(frozen=True)
class Profile:
    """Everything needed to talk to one office. Keys never appear in repr()."""

    name: str
    mode: Mode
    base_url: str
    developer_key: str = field(repr=False)
    customer_key: str = field(repr=False)
    tier: Tier = "read_all"
    cache_dir: Path | None = None  # None: the per-practice default under the user cache dir

    @property
    def page_size(self) -> int:
        return PAGE_SIZE[self.mode]

    @property
    def min_interval(self) -> float:
        """Seconds to leave between requests (0 outside remote mode)."""
        return TIER_INTERVAL[self.tier] if self.mode == "remote" else 0.0


@dataclass(frozen=True)
class MailSettings:
    """SMTP settings from the ``[mail]`` table. The password never appears in repr().

    Example:
        >>> "s3cret" in repr(MailSettings(host="smtp.x", port=587, password="s3cret"))
        False
    """

    host: str
    port: int = 587
    security: str = "starttls"  # starttls | ssl | none
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str | None = None


# ---------------------------------------------------------------------------------------------------------
# Errors: one place that builds them, so every message names the file/profile and the way out.


def _error(message: str, fix: str) -> ConfigError:
    return ConfigError(message, fix=fix)


# ---------------------------------------------------------------------------------------------------------
# Locations


def config_path() -> Path:
    """The config file: ``$ODNB_CONFIG`` or ``<user config dir>/odnb/config.toml``."""
    env = os.environ.get("ODNB_CONFIG")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("odnb")) / "config.toml"


def cache_root() -> Path:
    """Root of every odnb cache and store: ``$ODNB_CACHE_DIR``, else the user cache folder."""
    env = os.environ.get("ODNB_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("odnb"))


def reports_root() -> Path:
    """Root of every rendered report: ``$ODNB_REPORTS_DIR``, else the user data folder's ``reports``."""
    env = os.environ.get("ODNB_REPORTS_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("odnb")) / "reports"


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) and make it mode 0700, tightening it if it is looser.

    Example:
        >>> import tempfile; d = private_dir(Path(tempfile.mkdtemp()) / "a" / "b")
        >>> oct(d.stat().st_mode & 0o777) if os.name == "posix" else "0o700"
        '0o700'
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if os.name == "posix" and stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(0o700)
    return path


def practice_dir(profile: Profile | str) -> Path:
    """A private cache folder (0700): ``profile.cache_dir`` or ``$ODNB_CACHE_DIR/<name>`` (a profile or a
    name such as "schedule")."""
    if isinstance(profile, Profile) and profile.cache_dir is not None:
        return private_dir(Path(profile.cache_dir).expanduser())
    name = profile if isinstance(profile, str) else profile.name
    return private_dir(private_dir(cache_root()) / name)


def reports_dir(profile: Profile | str) -> Path:
    """The private report folder (0700) of a profile (or profile name): ``$ODNB_REPORTS_DIR/<name>``."""
    name = profile if isinstance(profile, str) else profile.name
    return private_dir(private_dir(reports_root()) / name)


# ---------------------------------------------------------------------------------------------------------
# Reading the file


def _file_mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def read_config(path: Path | None = None) -> dict[str, Any]:
    """The parsed config file (``{}`` when it does not exist). Bad TOML: ConfigError with file and line."""
    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise _error(f"Cannot read the odnb config file {path}: {exc.strerror}.",
                     "Check the file's owner and permissions, or point ODNB_CONFIG at another file.",
                     ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # Python < 3.14 has no exc.lineno: the position is only in the text "... (at line 3, column 8)".
        found = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        where = f"{path}, line {found[1]} column {found[2]}" if found else str(path)
        reason = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(exc))
        raise _error(f"The odnb config file {where} is not valid TOML: {reason}.",
                     f"Fix that line in {path} (see the config format in the README).") from None
    _validate_file(data, path)
    return data


def _validate_file(data: dict[str, Any], path: Path) -> None:
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        raise _error(f"In {path}, 'profiles' must be a table of [profiles.NAME] sections.",
                     "Write each office as its own [profiles.NAME] section.")
    for name, table in profiles.items():
        if not isinstance(table, dict):
            raise _error(f"In {path}, profiles.{name} must be a [profiles.{name}] section.",
                         f"Write it as a [profiles.{name}] section with mode, base_url, tier and keys.")
        unknown = sorted(set(table) - PROFILE_FIELDS)
        if unknown:
            raise _error(f"In {path}, [profiles.{name}] has unknown setting(s): {', '.join(unknown)}.",
                         f"Valid settings: {', '.join(sorted(PROFILE_FIELDS))}.")
    mail = data.get("mail")
    if mail is not None:
        if not isinstance(mail, dict):
            raise _error(f"In {path}, 'mail' must be a [mail] section.", "Write it as a [mail] section.")
        unknown = sorted(set(mail) - MAIL_FIELDS)
        if unknown:
            raise _error(f"In {path}, [mail] has unknown setting(s): {', '.join(unknown)}.",
                         f"Valid settings: {', '.join(sorted(MAIL_FIELDS))}.")
    default = data.get("default")
    if default is not None and not isinstance(default, str):
        raise _error(f"In {path}, 'default' must be a profile name in quotes.", 'Write: default = "myoffice"')


def profile_names(data: Mapping[str, Any] | None = None) -> list[str]:
    """Profiles defined in the config file (the built-in ``demo`` is not listed)."""
    data = read_config() if data is None else data
    return sorted(n for n in data.get("profiles", {}) if n != DEMO_PROFILE)


def _check_private_file(path: Path, what: str) -> None:
    """Refuse secrets from a file other users can read (like ssh does)."""
    if os.name != "posix" or not path.exists():
        return
    mode = _file_mode(path)
    if mode & 0o077:
        raise _error(f"{path} holds {what} but other users can read it (mode {mode:04o}).",
                     f"Run: chmod 600 {path}  (or move the secret to the OS keyring / an environment "
                     "variable).")


# ---------------------------------------------------------------------------------------------------------
# Keys


def _keyring_get(entry: str) -> str | None:
    import keyring
    from keyring.errors import KeyringError

    try:
        return keyring.get_password(KEYRING_SERVICE, entry)
    except KeyringError as exc:
        raise _error(f"The OS keyring could not be read for entry {entry!r}: {type(exc).__name__}.",
                     "Unlock or install a keyring backend, or supply the key through an environment "
                     "variable instead (see `odnb config add --help`).") from None


def keyring_set(entry: str, secret: str) -> None:
    """Store ``secret`` in the OS keyring under (service "odnb", entry)."""
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.set_password(KEYRING_SERVICE, entry, secret)
    except KeyringError as exc:
        raise _error(f"The OS keyring refused to store entry {entry!r}: {type(exc).__name__}.",
                     "Use --developer-key-env / --customer-key-env (an environment variable) or "
                     "--...-key-stdin (kept in the 0600 config file) instead.") from None


def _key_from_table(table: Mapping[str, Any], kind: str, path: Path) -> tuple[str | None, str]:
    """(key or None, where it came from / was looked for) for one profile table."""
    tried: list[str] = []
    env_name = table.get(f"{kind}_key_env")
    if env_name:
        value = os.environ.get(str(env_name))
        if value:
            return value, f"env {env_name}"
        tried.append(f"env {env_name} (not set)")
    entry = table.get(f"{kind}_key_keyring")
    if entry:
        value = _keyring_get(str(entry))
        if value:
            return value, "keyring"
        tried.append(f"keyring {entry} (empty)")
    if table.get(f"{kind}_key"):
        _check_private_file(path, "API keys")
        return str(table[f"{kind}_key"]), "file"
    return None, "missing" + (f": {', '.join(tried)}" if tried else "")


def _missing_key_error(profile: str, kind: str, where: str, path: Path) -> ConfigError:
    return _error(
        f"Profile {profile!r} has no {kind} key ({where}).",
        f"Supply the {kind} key one of three ways: "
        f"(1) OS keyring: odnb config add {profile} --mode MODE --{kind}-key-keyring (prompts for it); "
        f"(2) environment: set {KEY_ENV[kind]}, or name your own variable with {kind}_key_env = \"VAR\" "
        f"in [profiles.{profile}]; "
        f"(3) config file: {kind}_key = \"...\" in [profiles.{profile}] of {path} (file must be mode 0600).",
    )


# ---------------------------------------------------------------------------------------------------------
# Modes and URLs


def infer_mode(base_url: str) -> str:
    """The mode a base URL implies: the cloud host is remote, port 30222 local, anything else service.

    Example:
        >>> infer_mode("https://api.opendental.com/api/v1"), infer_mode("http://srv:30223/api/v1")
        ('remote', 'service')
    """
    parts = urlsplit(base_url)
    if (parts.hostname or "").lower() == REMOTE_HOST:
        return "remote"
    if parts.port == LOCAL_PORT:
        return "local"
    return "service"


def _check_url(url: str, where: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _error(f"{where}: base URL {url!r} is not an http(s) URL.",
                     "Write it like http://server:30223/api/v1 (service), http://localhost:30222/api/v1 "
                     "(local) or https://api.opendental.com/api/v1 (remote).")
    return url.rstrip("/")


def _check_mode(mode: str, where: str) -> str:
    if mode not in MODES:
        raise _error(f"{where}: unknown mode {mode!r}.",
                     f"Use one of: {', '.join(MODES)} (or give a base URL).")
    return mode


def _check_tier(tier: str, where: str) -> str:
    if tier not in TIERS:
        raise _error(f"{where}: unknown tier {tier!r}.",
                     f"Use one of: {', '.join(TIERS)} (read_all = free Read All, 1 request / 5 s; paid = any "
                     "paid permission, 1 / s; enterprise = 1 / 0.5 s).")
    return tier


def _table_mode_url(name: str, table: Mapping[str, Any]) -> tuple[str, str]:
    where = f"profile {name!r}"
    mode = table.get("mode")
    url = table.get("base_url")
    if isinstance(mode, str) and mode.startswith(("http://", "https://")):  # mode given as a URL
        url, mode = url or mode, None
    if url:
        url = _check_url(str(url), where)
    if mode is None:
        if url:
            return infer_mode(url), url
        if table.get("server"):
            return "service", f"http://{table['server']}:{SERVICE_PORT}/api/v1"
        raise _error(f"{where} has neither mode nor base_url.",
                     'Add mode = "remote", "local" or "service" (service also needs base_url or server) '
                     f"to [profiles.{name}].")
    mode = _check_mode(str(mode), where)
    if url:
        return mode, url
    if mode == "service":
        if table.get("server"):
            return mode, f"http://{table['server']}:{SERVICE_PORT}/api/v1"
        raise _error(f"{where} is in service mode but names no server.",
                     f"Add base_url = \"http://SERVER:{SERVICE_PORT}/api/v1\" or server = \"SERVER\" "
                     f"to [profiles.{name}].")
    return mode, DEFAULT_BASE_URL[mode]


def _url_profile_name(url: str) -> str:
    parts = urlsplit(url)
    host = re.sub(r"[^A-Za-z0-9.-]", "_", parts.hostname or "host")
    return f"url-{host}-{parts.port}" if parts.port else f"url-{host}"


# ---------------------------------------------------------------------------------------------------------
# Resolving a profile


@dataclass(frozen=True)
class KeySources:
    """Where a profile's keys come from, for display: "keyring", "env VAR", "file", "missing ...", ..."""

    developer: str
    customer: str


def _resolve(
    name: str | None,
    *,
    base_url: str | None,
    developer_key: str | None,
    customer_key: str | None,
    tier: str | None,
    mode: str | None,
    require_keys: bool,
    start_demo: bool = True,
) -> tuple[Profile | None, KeySources, dict[str, Any]]:
    path = config_path()
    data = read_config(path)
    profiles = data.get("profiles", {})
    env_url = os.environ.get("ODNB_BASE_URL") or None
    url_override = base_url or env_url
    explicit = name or os.environ.get("ODNB_PROFILE") or data.get("default")
    if explicit and not PROFILE_NAME_RE.match(explicit):
        raise _error(f"{explicit!r} is not a valid profile name.",
                     "Profile names are letters, digits, '.', '_' and '-' (up to 64 characters).")
    if url_override:
        url_override = _check_url(url_override, "base URL override" if base_url else "ODNB_BASE_URL")

    # Which table supplies the defaults.
    demo_keys = False
    if explicit == DEMO_PROFILE or (not explicit and not url_override):
        pname, table, demo_keys = DEMO_PROFILE, {}, True
    elif not explicit:  # only a URL: an ad-hoc profile named after its host
        pname, table = _url_profile_name(url_override or ""), {}
    elif explicit in profiles:
        pname, table = explicit, profiles[explicit]
    else:
        known = ", ".join([DEMO_PROFILE, *profile_names(data)])
        raise _error(f"No profile named {explicit!r} in {path}. Known profiles: {known}.",
                     f"Create it: odnb config add {explicit} --mode service "
                     "--base-url http://SERVER:30223/api/v1 "
                     "(or pick a known one with --profile / ODNB_PROFILE).")

    # Mode and base URL.
    if pname == DEMO_PROFILE and not url_override:
        pmode, purl = "service", EMBEDDED_PLACEHOLDER
        if start_demo:
            from odnb.demo.embedded import embedded_server

            purl = embedded_server().base_url
    elif table:
        pmode, purl = _table_mode_url(pname, table)
        if url_override:
            purl = url_override
    else:
        purl = url_override or ""
        pmode = infer_mode(purl)
    if mode:
        pmode = _check_mode(mode, "mode override")
    # The demo key has every permission, like a paid plan (the simulator throttles it at the paid pace).
    default_tier = "paid" if demo_keys else "read_all"
    ptier = _check_tier(str(tier or table.get("tier") or default_tier), f"profile {pname!r}")

    # Keys: explicit argument > ODNB_* environment > the profile's env / keyring / file entry.
    keys: dict[str, str | None] = {}
    sources: dict[str, str] = {}
    for kind, arg in (("developer", developer_key), ("customer", customer_key)):
        if arg:
            keys[kind], sources[kind] = arg, "argument"
        elif os.environ.get(KEY_ENV[kind]):
            keys[kind], sources[kind] = os.environ[KEY_ENV[kind]], f"env {KEY_ENV[kind]}"
        elif demo_keys:
            from odnb.demo import DEMO_CUSTOMER_KEY, DEMO_DEVELOPER_KEY

            keys[kind] = DEMO_DEVELOPER_KEY if kind == "developer" else DEMO_CUSTOMER_KEY
            sources[kind] = "built-in demo key"
        else:
            keys[kind], sources[kind] = _key_from_table(table, kind, path)
    key_sources = KeySources(sources["developer"], sources["customer"])
    for kind in KEY_KINDS:
        if not keys[kind]:
            if require_keys:
                raise _missing_key_error(pname, kind, sources[kind], path)
            return None, key_sources, table

    cache_dir = table.get("cache_dir")
    profile = Profile(
        name=pname,
        mode=pmode,  # type: ignore[arg-type]
        base_url=purl,
        developer_key=str(keys["developer"]),
        customer_key=str(keys["customer"]),
        tier=ptier,  # type: ignore[arg-type]
        cache_dir=Path(str(cache_dir)).expanduser() if cache_dir else None,
    )
    return profile, key_sources, table


def load_profile(
    name: str | Profile | None = None,
    *,
    base_url: str | None = None,
    developer_key: str | None = None,
    customer_key: str | None = None,
    tier: str | None = None,
    mode: str | None = None,
) -> Profile:
    """Resolve a profile: name argument, else ``$ODNB_PROFILE``, else the file's ``default``, else ``demo``.

    Precedence for each setting: explicit argument > ``ODNB_BASE_URL`` / ``ODNB_DEVELOPER_KEY`` /
    ``ODNB_CUSTOMER_KEY`` > the profile's own env / keyring / file entry. ``demo`` is built in (the
    embedded simulator, started once per process, with the demo keys) and cannot be redefined in the file.
    A base URL with no profile name gives an ad-hoc profile named after the host (keys from args/env).

    Example:
        >>> load_profile("demo").mode          # doctest: +SKIP
        'service'
    """
    if isinstance(name, Profile):
        from dataclasses import replace

        changes: dict[str, Any] = {
            k: v for k, v in {"base_url": base_url, "developer_key": developer_key,
                              "customer_key": customer_key}.items() if v
        }
        if tier:
            changes["tier"] = _check_tier(tier, "tier override")
        if mode:
            changes["mode"] = _check_mode(mode, "mode override")
        return replace(name, **changes) if changes else name
    profile, _, _ = _resolve(name, base_url=base_url, developer_key=developer_key, customer_key=customer_key,
                             tier=tier, mode=mode, require_keys=True)
    assert profile is not None
    return profile


def key_sources(name: str | None = None, **overrides: Any) -> KeySources:
    """Where each key of a profile comes from ("keyring", "env VAR", "file", "missing ..."), never values."""
    _, sources, _ = _resolve(name, base_url=overrides.get("base_url"),
                             developer_key=overrides.get("developer_key"),
                             customer_key=overrides.get("customer_key"), tier=overrides.get("tier"),
                             mode=overrides.get("mode"), require_keys=False, start_demo=False)
    return sources


# ---------------------------------------------------------------------------------------------------------
# Mail


def load_mail_settings() -> MailSettings | None:
    """The ``[mail]`` table, or None when there is none. Password: $ODNB_SMTP_PASSWORD > password_env >
    password_keyring > password (file must be 0600)."""
    path = config_path()
    mail = read_config(path).get("mail")
    if not mail:
        return None
    if not mail.get("host"):
        raise _error(f"The [mail] section of {path} has no host.", 'Add host = "smtp.example.com" to [mail].')
    security = str(mail.get("security", "starttls")).lower()
    if security not in MAIL_SECURITY_PORT:
        raise _error(f"[mail] security {security!r} in {path} is not known.",
                     f"Use one of: {', '.join(MAIL_SECURITY_PORT)}.")
    try:
        port = int(mail.get("port", MAIL_SECURITY_PORT[security]))
    except (TypeError, ValueError):
        raise _error(f"[mail] port in {path} is not a number.", "Write e.g. port = 587") from None
    password = os.environ.get("ODNB_SMTP_PASSWORD") or None
    if password is None and mail.get("password_env"):
        password = os.environ.get(str(mail["password_env"])) or None
    if password is None and mail.get("password_keyring"):
        password = _keyring_get(str(mail["password_keyring"]))
    if password is None and mail.get("password"):
        _check_private_file(path, "the SMTP password")
        password = str(mail["password"])
    user = mail.get("user")
    return MailSettings(host=str(mail["host"]), port=port, security=security,
                        user=str(user) if user else None, password=password,
                        sender=str(mail["sender"]) if mail.get("sender") else None)


# ---------------------------------------------------------------------------------------------------------
# Writing the file (a small TOML writer: strings, numbers, booleans, and tables of them)

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_str(value: str) -> str:
    out = []
    for ch in value:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _toml_str(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Path):
        return _toml_str(str(value))
    if isinstance(value, str):
        return _toml_str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def dumps_toml(data: Mapping[str, Any]) -> str:
    """TOML text for nested tables of scalars (what the config file holds).

    Example:
        >>> print(dumps_toml({"default": "a", "profiles": {"a": {"mode": "remote"}}}).strip())
        default = "a"
        <BLANKLINE>
        [profiles.a]
        mode = "remote"
    """
    lines: list[str] = []

    def emit(table: Mapping[str, Any], prefix: tuple[str, ...]) -> None:
        scalars = {k: v for k, v in table.items() if not isinstance(v, Mapping)}
        subtables = {k: v for k, v in table.items() if isinstance(v, Mapping)}
        if prefix and (scalars or not subtables):
            lines.append("")
            lines.append("[" + ".".join(_toml_key(p) for p in prefix) + "]")
        for key, value in scalars.items():
            if value is not None:
                lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
        for key, value in subtables.items():
            emit(value, (*prefix, key))

    emit(data, ())
    return "\n".join(lines).lstrip("\n") + "\n"


@contextlib.contextmanager
def replacing_privately(path: Path) -> Iterator[Path]:
    """A temporary file beside ``path`` (same suffix, so writers that go by it still work) to write to; when
    the block ends without error it becomes ``path`` atomically, mode 0600; otherwise it is removed.

    Example:
        >>> target = Path(tempfile.mkdtemp()) / "out.csv"
        >>> with replacing_privately(target) as tmp:
        ...     _ = tmp.write_text("a,b\\n")
        >>> oct(target.stat().st_mode & 0o777) if os.name == "posix" else "0o600"
        '0o600'
    """
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)  # mkstemp made it 0600; the writer reopens it by name (and may recreate it: chmod below)
    tmp = Path(name)
    try:
        yield tmp
        if os.name == "posix":
            os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_private_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temp file + rename, flushed to disk), mode 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing_privately(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def check_new_profile(
    name: str, *, mode: str | None, base_url: str | None, tier: str, replace: bool
) -> dict[str, Any]:
    """Validate a new profile's name and settings (before any key is asked for); returns its table."""
    if not PROFILE_NAME_RE.match(name):
        raise _error(f"{name!r} is not a valid profile name.",
                     "Use letters, digits, '.', '_' and '-' (up to 64 characters), starting with a letter "
                     "or digit.")
    if name == DEMO_PROFILE:
        raise _error("'demo' is the built-in demo practice and cannot be redefined.",
                     "Pick another name for your office, e.g. 'myoffice'.")
    table: dict[str, Any] = {}
    if mode:
        if mode.startswith(("http://", "https://")):
            base_url, mode = base_url or mode, None
        else:
            table["mode"] = _check_mode(mode, f"profile {name!r}")
    if base_url:
        table["base_url"] = _check_url(base_url, f"profile {name!r}")
        table.setdefault("mode", infer_mode(table["base_url"]))
    table["tier"] = _check_tier(tier, f"profile {name!r}")
    if table.get("mode") == "service" and not table.get("base_url"):
        raise _error(f"Profile {name!r}: service mode needs the server's address.",
                     f"Give --base-url http://SERVER:{SERVICE_PORT}/api/v1 (base_url in the file).")
    _table_mode_url(name, table)  # same validation as loading
    path = config_path()
    if name in read_config(path).get("profiles", {}) and not replace:
        raise _error(f"Profile {name!r} already exists in {path}.", "Add --replace to overwrite it.")
    return table


def save_profile(
    name: str,
    *,
    mode: str | None = None,
    base_url: str | None = None,
    tier: str = "read_all",
    cache_dir: str | Path | None = None,
    developer_key_env: str | None = None,
    developer_key_keyring: str | None = None,
    developer_key: str | None = None,
    customer_key_env: str | None = None,
    customer_key_keyring: str | None = None,
    customer_key: str | None = None,
    make_default: bool | None = None,
    replace: bool = True,
) -> Path:
    """Add or replace ``[profiles.NAME]`` in the config file (written atomically, mode 0600).

    ``make_default=None`` makes it the default only when the file has no default yet. Comments in the
    file are not preserved. Returns the config path.

    Example:
        >>> save_profile("myoffice", mode="service", base_url="http://srv:30223/api/v1",
        ...              customer_key_env="MYOFFICE_KEY")   # doctest: +SKIP
    """
    table = check_new_profile(name, mode=mode, base_url=base_url, tier=tier, replace=replace)
    for kind, env, entry, value in (
        ("developer", developer_key_env, developer_key_keyring, developer_key),
        ("customer", customer_key_env, customer_key_keyring, customer_key),
    ):
        if env:
            table[f"{kind}_key_env"] = env
        if entry:
            table[f"{kind}_key_keyring"] = entry
        if value:
            table[f"{kind}_key"] = value
    if cache_dir:
        table["cache_dir"] = str(Path(cache_dir).expanduser().absolute())

    path = config_path()
    data = read_config(path)
    profiles = dict(data.get("profiles", {}))
    profiles[name] = table
    data["profiles"] = profiles
    if make_default or (make_default is None and not data.get("default")):
        data["default"] = name
    ordered = {k: v for k, v in data.items() if not isinstance(v, Mapping)}
    ordered.update({k: v for k, v in data.items() if isinstance(v, Mapping)})
    if not path.parent.exists():
        private_dir(path.parent)
    write_private_file(path, dumps_toml(ordered).encode("utf-8"))
    return path


# ---------------------------------------------------------------------------------------------------------
# The `odnb config` commands


def _read_secret(prompt: str) -> str:
    """A key from the terminal without echo, or one line from stdin when it is not a terminal."""
    if sys.stdin is not None and sys.stdin.isatty():
        import getpass

        secret = getpass.getpass(prompt)
    else:
        secret = (sys.stdin.readline() if sys.stdin is not None else "").strip()
    if not secret:
        raise _error("No key was entered.", "Run the command again and paste the key when asked.")
    return secret


def _cmd_add(args: argparse.Namespace) -> int:
    check_new_profile(args.name, mode=args.mode, base_url=args.base_url, tier=args.tier, replace=args.replace)
    options: dict[str, Any] = {}
    for kind in KEY_KINDS:
        env = getattr(args, f"{kind}_key_env")
        entry = getattr(args, f"{kind}_key_keyring")
        stdin = getattr(args, f"{kind}_key_stdin")
        if env:
            options[f"{kind}_key_env"] = env
        elif entry is not None:
            entry = entry or f"odnb:{args.name}:{kind}"
            keyring_set(entry, _read_secret(f"{kind.capitalize()} key for {args.name} (not shown): "))
            options[f"{kind}_key_keyring"] = entry
        elif stdin:
            options[f"{kind}_key"] = _read_secret(f"{kind.capitalize()} key for {args.name} (not shown): ")
    path = save_profile(args.name, mode=args.mode, base_url=args.base_url, tier=args.tier,
                        cache_dir=args.cache_dir, make_default=True if args.default else None,
                        replace=args.replace, **options)
    print(f"Saved profile {args.name!r} to {path} (mode 0600).")
    _print_profiles([args.name])
    sources = key_sources(args.name)
    if "missing" in sources.developer or "missing" in sources.customer:
        print("Keys still missing; supply them with the OS keyring (--developer-key-keyring / "
              "--customer-key-keyring), an environment variable, or ODNB_DEVELOPER_KEY / ODNB_CUSTOMER_KEY.")
    print(f"Next: odnb doctor --profile {args.name}")
    return 0


def _profile_row(name: str) -> dict[str, str]:
    try:
        profile, sources, _ = _resolve(name, base_url=None, developer_key=None, customer_key=None, tier=None,
                                       mode=None, require_keys=False, start_demo=False)
    except ConfigError as exc:
        return {"name": name, "mode": "?", "base_url": "?", "tier": "?", "developer": "?", "customer": "?",
                "error": f"{exc.what} Fix: {exc.fix}"}
    if profile is None:  # keys missing: show the table's own settings
        table = read_config().get("profiles", {}).get(name, {})
        mode, url = _table_mode_url(name, table) if table else ("service", EMBEDDED_PLACEHOLDER)
        tier = str(table.get("tier", "read_all" if table else "paid"))
    else:
        mode, url, tier = profile.mode, profile.base_url, profile.tier
    return {"name": name, "mode": mode, "base_url": url, "tier": tier,
            "developer": sources.developer, "customer": sources.customer}


def _print_profiles(names: list[str]) -> None:
    rows = [_profile_row(n) for n in names]
    cols = ("name", "mode", "base_url", "tier", "developer", "customer")
    heads = {"name": "PROFILE", "mode": "MODE", "base_url": "BASE URL", "tier": "TIER",
             "developer": "DEVELOPER KEY", "customer": "CUSTOMER KEY"}
    widths = {c: max(len(heads[c]), *(len(r[c]) for r in rows)) for c in cols[:-1]}
    print("  ".join(heads[c].ljust(widths.get(c, 0)) for c in cols).rstrip())
    for row in rows:
        print("  ".join(row[c].ljust(widths.get(c, 0)) for c in cols).rstrip())
        if row.get("error"):
            print(f"    error: {row['error']}")


def _cmd_list(args: argparse.Namespace) -> int:
    path = config_path()
    data = read_config(path)
    default = os.environ.get("ODNB_PROFILE") or data.get("default") or DEMO_PROFILE
    print(f"Config file: {path}" + ("" if path.exists() else " (not created yet)"))
    names = [DEMO_PROFILE, *profile_names(data)]
    _print_profiles(names)
    print(f"Default profile: {default}")
    if DEMO_PROFILE in data.get("profiles", {}):
        print(f"Note: [profiles.demo] in {path} is ignored; 'demo' is the built-in demo practice.")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    path = config_path()
    failures = 0

    def line(ok: bool, what: str, fix: str = "") -> None:
        nonlocal failures
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'}  {what}")
        if fix and not ok:
            print(f"      fix: {fix}")

    try:
        data = read_config(path)
    except ConfigError as exc:
        line(False, exc.what, exc.fix)
        return 1
    if path.exists():
        mode = _file_mode(path)
        private = os.name != "posix" or not mode & 0o077
        line(private, f"config file {path} (mode {mode:04o})", f"Run: chmod 600 {path}")
    else:
        line(True, f"config file {path} does not exist yet (only the built-in demo profile)")
    names = [args.profile] if args.profile else profile_names(data) or [DEMO_PROFILE]
    for name in names:
        try:
            profile = load_profile(name)
        except ConfigError as exc:
            line(False, f"profile {name}: {exc.what}", exc.fix)
            continue
        sources = key_sources(name)
        line(True, f"profile {name}: {profile.mode} {profile.base_url} tier {profile.tier}; "
                   f"developer key from {sources.developer}, customer key from {sources.customer}")
        if "file" in (sources.developer, sources.customer):
            print("      note: keys kept in the config file; the OS keyring or an environment variable "
                  "is safer")
    summary = "All good" if not failures else f"{failures} problem(s)"
    print(f"{summary}. Connectivity: odnb doctor --profile NAME")
    return 1 if failures else 0


def _handle_config_error(func: Any) -> Any:
    def wrapper(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except ConfigError as exc:
            print(f"error: {exc.what}", file=sys.stderr)
            if exc.fix:
                print(f"fix: {exc.fix}", file=sys.stderr)
            return 2

    return wrapper


def register(subparsers: Any) -> None:
    """Add ``odnb config add|list|check``."""
    parser = subparsers.add_parser("config", help="manage connection profiles (never prints a key)",
                                   description="Named Open Dental connection profiles. Keys are never "
                                               "printed.")
    sub = parser.add_subparsers(dest="config_command", metavar="ACTION")
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])

    add = sub.add_parser("add", help="add or replace a profile",
                         description="Add a profile. Keys go to the OS keyring (prompted), an environment "
                                     "variable you name, or the 0600 config file (read from stdin) - never "
                                     "on the command line.")
    add.add_argument("name")
    add.add_argument("--mode", required=True, help="remote | local | service (or a base URL)")
    add.add_argument("--base-url", help="e.g. http://server:30223/api/v1 (required for service mode)")
    add.add_argument("--tier", default="read_all", help="read_all | paid | enterprise (default read_all)")
    add.add_argument("--cache-dir", help="cache folder for this office (default: under the user cache dir)")
    add.add_argument("--default", action="store_true", help="make it the default profile")
    add.add_argument("--replace", action="store_true", help="overwrite an existing profile of that name")
    for kind in KEY_KINDS:
        group = add.add_mutually_exclusive_group()
        group.add_argument(f"--{kind}-key-env", metavar="VAR", help=f"read the {kind} key from env var VAR")
        group.add_argument(f"--{kind}-key-keyring", nargs="?", const="", metavar="ENTRY",
                           help=f"prompt for the {kind} key and store it in the OS keyring "
                                f"(entry default odnb:NAME:{kind})")
        group.add_argument(f"--{kind}-key-stdin", action="store_true",
                           help=f"read the {kind} key from stdin and keep it in the 0600 config file")
    add.set_defaults(func=_handle_config_error(_cmd_add))

    lst = sub.add_parser("list", help="list profiles and where each key comes from")
    lst.set_defaults(func=_handle_config_error(_cmd_list))

    check = sub.add_parser("check", help="load profiles, report missing keys and file permissions")
    check.add_argument("--profile", help="check only this profile")
    check.set_defaults(func=_handle_config_error(_cmd_check))
