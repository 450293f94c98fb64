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

import os
import re
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from odnb.api.errors import ConfigError
from odnb.paths import private_dir, write_private_file

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
    {"mode", "base_url", "server", "tier", "cache_dir", "display_name", "goals"}
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
        _check_goals(table.get("goals"), f"In {path}, [profiles.{name}.goals]")
        shown = table.get("display_name")
        if shown is not None and (not isinstance(shown, str) or not shown.strip()):
            raise _error(f"In {path}, [profiles.{name}] display_name must be text in quotes.",
                         'Write e.g. display_name = "North Street Dental".')
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


def _check_goals(goals: Any, where: str) -> None:
    if goals is None:
        return
    if not isinstance(goals, dict):
        raise _error(f"{where} must be a table of monthly targets.",
                     "Write e.g. [profiles.NAME.goals] with gross_production = 120000 and new_patients = 40.")
    bad = [k for k, v in goals.items() if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0]
    if bad:
        raise _error(f"{where}: {', '.join(bad)} must be positive numbers (a monthly target).",
                     "Write each goal as a number, e.g. collections = 115000.")


def profile_goals(name: str, data: Mapping[str, Any] | None = None) -> dict[str, float]:
    """The monthly goals of a profile (``[profiles.NAME.goals]``; the built-in demo may have a
    ``[profiles.demo]`` table holding only goals), empty when none are configured.

    Example:
        >>> profile_goals("x", {"profiles": {"x": {"goals": {"collections": 115000}}}})
        {'collections': 115000.0}
    """
    data = read_config() if data is None else data
    table = (data.get("profiles") or {}).get(name) or {}
    return {str(k): float(v) for k, v in (table.get("goals") or {}).items()}


def profile_display_name(name: str, data: Mapping[str, Any] | None = None) -> str:
    """The practice's name for people (``display_name`` in ``[profiles.NAME]``), else the profile name.

    Example:
        >>> profile_display_name("north", {"profiles": {"north": {"display_name": "North Street Dental"}}})
        'North Street Dental'
        >>> profile_display_name("south", {"profiles": {}})
        'south'
    """
    data = read_config() if data is None else data
    table = (data.get("profiles") or {}).get(name) or {}
    shown = table.get("display_name")
    return shown.strip() if isinstance(shown, str) and shown.strip() else name


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


_KEY_LIKE = re.compile(r"key|token|secret|passw|pwd|auth|sig|session|cred", re.IGNORECASE)


def refuse_secret_url(url: str, where: str) -> None:
    """Refuse a base URL that carries credentials (``user:pass@host``) or key-like query parameters
    (``?apikey=``), before any request: keys travel only in the Authorization header, and a URL is
    printed in errors, ``odnb config list``, doctor and reports.

    >>> refuse_secret_url("http://srv:30223/api/v1", "base URL")
    >>> refuse_secret_url("http://me:pw@srv/api/v1", "base URL")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    odnb.api.errors.ConfigError: base URL: the URL carries a user name or password ...
    """
    parts = urlsplit(url)
    host = parts.hostname or "the server"
    shown = f"{parts.scheme}://{host}{':' + str(parts.port) if parts.port else ''}{parts.path}"
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise _error(f"{where}: the URL carries a user name or password (user:password@...), which odnb "
                     f"refuses so it never reaches a log, error, cache or report.",
                     f"Remove it: use {shown}. Keys go in ODNB_DEVELOPER_KEY / ODNB_CUSTOMER_KEY, the config "
                     "file or the keyring (`odnb config`).")
    names = [name for name, _ in parse_qsl(parts.query, keep_blank_values=True) if _KEY_LIKE.search(name)]
    if names:
        listed = ", ".join(sorted(set(names)))
        raise _error(f"{where}: the URL has key-like query parameters ({listed}), which odnb refuses "
                     " so they never reach a log, error, cache or report.",
                     f"Remove the query string: use {shown}. Open Dental takes keys only in the "
                     "Authorization header; put them in ODNB_DEVELOPER_KEY / ODNB_CUSTOMER_KEY, the config "
                     "file or the keyring (`odnb config`).")
    if parts.query or parts.fragment:
        raise _error(f"{where}: the URL has a query string or fragment; a base URL is only "
                     "scheme://host:port/api/v1.", f"Use {shown}.")


def _check_url(url: str, where: str) -> str:
    parts = urlsplit(url)
    refuse_secret_url(url, where)
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
    # An explicit base_url without a name is an ad-hoc server: it inherits no profile's mode or throttle.
    explicit = name or (None if base_url else os.environ.get("ODNB_PROFILE") or data.get("default"))
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


def check_profile(name: str | None = None) -> KeySources:
    """Everything a run of profile ``name`` needs, checked without a request and without starting the demo
    simulator: the profile exists, its URL, mode and tier are valid, and both keys resolve. Returns where the
    keys come from; raises :class:`ConfigError` naming what is missing and how to set it.

    Example:
        >>> check_profile("demo").customer
        'built-in demo key'
    """
    _, sources, _ = _resolve(name, base_url=None, developer_key=None, customer_key=None, tier=None,
                             mode=None, require_keys=True, start_demo=False)
    return sources


def key_sources(name: str | None = None, **overrides: Any) -> KeySources:
    """Where each key of a profile comes from ("keyring", "env VAR", "file", "missing ..."), never values."""
    _, sources, _ = _resolve(name, base_url=overrides.get("base_url"),
                             developer_key=overrides.get("developer_key"),
                             customer_key=overrides.get("customer_key"), tier=overrides.get("tier"),
                             mode=overrides.get("mode"), require_keys=False, start_demo=False)
    return sources


# ---------------------------------------------------------------------------------------------------------
# Mail


EMAIL_ADDRESS_RE = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*")


def is_email_address(text: str) -> bool:
    """``name@host`` (a dotted domain or a single host such as ``localhost``), nothing around it.

    >>> is_email_address("owner@example.com"), is_email_address("not-an-email")
    (True, False)
    """
    return isinstance(text, str) and EMAIL_ADDRESS_RE.fullmatch(text) is not None


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
    if not 0 < port < 65536:
        raise _error(f"[mail] port {port} in {path} is not a TCP port.", "Write e.g. port = 587")
    user = mail.get("user")
    if user and password is None:
        sources = [s for s in (f"env {mail['password_env']}" if mail.get("password_env") else "",
                               f"keyring {mail['password_keyring']}" if mail.get("password_keyring") else "")
                   if s]
        looked = f" (looked in ODNB_SMTP_PASSWORD{''.join(', ' + s for s in sources)})"
        raise _error(f"[mail] user {user!r} in {path} has no password{looked}.",
                     "Set ODNB_SMTP_PASSWORD, or name a variable with password_env, or store it in the OS "
                     "keyring and name the entry with password_keyring.")
    if mail.get("sender") and not is_email_address(str(mail["sender"])):
        raise _error(f"[mail] sender {mail['sender']!r} in {path} is not an email address.",
                     'Write e.g. sender = "reports@example.com"')
    return MailSettings(host=str(mail["host"]), port=port, security=security,
                        user=str(user) if user else None, password=password,
                        sender=str(mail["sender"]) if mail.get("sender") else None)


# ---------------------------------------------------------------------------------------------------------
# Writing the file


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
    file and its layout are kept (tomlkit). Returns the config path.

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
    read_config(path)  # refuses a malformed file before it is rewritten
    import tomlkit

    doc = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
    if "profiles" not in doc:
        doc["profiles"] = tomlkit.table(is_super_table=True)
    profiles = doc["profiles"]
    if name in profiles:  # replace the settings in place, so comments around and inside the table stay
        existing = profiles[name]
        for key in [k for k in existing if k not in table]:
            del existing[key]
        existing.update(table)
    else:
        new = tomlkit.table()
        new.update(table)
        new.add(tomlkit.nl())
        profiles[name] = new
    if make_default or (make_default is None and not doc.get("default")):
        doc["default"] = name
    if not path.parent.exists():
        private_dir(path.parent)
    write_private_file(path, tomlkit.dumps(doc).encode("utf-8"))
    return path




def _edit_config() -> tuple[Path, Any]:
    """The config file and its tomlkit document, after checking it parses (for in-place edits)."""
    path = config_path()
    read_config(path)  # refuses a malformed file before it is rewritten
    import tomlkit

    return path, (tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document())


def _known_profile(name: str, data: Mapping[str, Any], path: Path) -> None:
    if name == DEMO_PROFILE:
        raise _error("'demo' is the built-in demo practice: it cannot be removed or changed.",
                     "Pick a profile of yours (odnb config list).")
    if name not in profile_names(data):
        known = ", ".join(profile_names(data)) or "none yet"
        raise _error(f"No profile named {name!r} in {path} (profiles: {known}).",
                     "See them with: odnb config list")


def remove_profile(name: str) -> tuple[Path, bool]:
    """Delete ``[profiles.NAME]`` from the config file (comments elsewhere kept); also the ``default`` line
    when it named it. Returns (config path, whether it was the default). Keyring entries are left alone.

    Example:
        >>> remove_profile("oldoffice")   # doctest: +SKIP
    """
    path, doc = _edit_config()
    _known_profile(name, doc.unwrap(), path)
    del doc["profiles"][name]
    was_default = doc.get("default") == name
    if was_default:
        del doc["default"]
    import tomlkit

    write_private_file(path, tomlkit.dumps(doc).encode("utf-8"))
    return path, was_default


def set_default_profile(name: str) -> Path:
    """Make ``name`` (a profile in the file, or ``demo``) the default profile; returns the config path."""
    path, doc = _edit_config()
    if name != DEMO_PROFILE:
        _known_profile(name, doc.unwrap(), path)
    doc["default"] = name
    if not path.parent.exists():
        private_dir(path.parent)
    import tomlkit

    write_private_file(path, tomlkit.dumps(doc).encode("utf-8"))
    return path
