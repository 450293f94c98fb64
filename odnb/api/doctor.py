"""``odnb doctor``: the setup prerequisites as a runnable checklist, each line pass / fail with its fix.

The checks run in order and later ones are skipped when an earlier one makes them meaningless (no keys,
host unreachable, keys refused). Probes are single raw requests (no retries, no cache) so that what the
doctor sees is what the server said; failures are explained with odnb's error table
(:func:`odnb.api.errors.error_from_response`). Keys are sent only in the Authorization header, never printed.

Example:
    $ odnb doctor --profile demo
    >>> from odnb.api.doctor import run_checks
    >>> all(c.ok is not False for c in run_checks("demo"))   # doctest: +SKIP
    True
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import stat
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from odnb.api.errors import ConfigError, ConnectionFailed, EConnectorDown, ODError, PermissionDenied
from odnb.api.profiles import Profile, config_path, key_sources, load_profile, read_config
from odnb.paths import practice_dir

CONNECT_TIMEOUT = 5.0  # seconds for the TCP check and each request's connect
READ_TIMEOUT = 65.0  # remote requests are cut by Open Dental at 60 s

# Permission groups and the cheap, read-only call that proves each one. Groups whose every method writes
# data are listed as not probed rather than guessed.
PROBES: dict[str, tuple[str, str, dict[str, Any] | None]] = {
    "Read All": ("GET", "providers", None),
    "Queries": ("PUT", "queries/ShortQuery", {"SqlCommand": "SELECT 1"}),
}
NOT_PROBED = ("Payments", "PayPlans", "Comm", "Documents", "InsuranceSimple", "Setup")


@dataclass(frozen=True)
class Check:
    """One line of the checklist. ``ok``: True pass, False fail, None skipped / informational."""

    name: str
    ok: bool | None
    detail: str
    fix: str = ""

    @property
    def label(self) -> str:
        return {True: "PASS", False: "FAIL", None: "SKIP"}[self.ok]


@dataclass
class _Probe:
    """What one raw request returned."""

    status: int | None
    seconds: float
    error: ODError | None
    body: Any = None
    retry_after: str | None = None


class _Api:
    """Raw single requests with the profile's keys; failures become odnb's explained errors."""

    def __init__(self, profile: Profile) -> None:
        import requests

        self.profile = profile
        self.session = requests.Session()
        self.session.headers.update({
            "Authorization": f"ODFHIR {profile.developer_key}/{profile.customer_key}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        })
        self.last_request = 0.0
        self.durations: list[float] = []

    def pace(self) -> None:
        """Leave the tier's interval between requests in remote mode (as the client does)."""
        wait = self.profile.min_interval - (time.monotonic() - self.last_request)
        if self.last_request and wait > 0:
            time.sleep(wait)

    def call(self, method: str, path: str, *, params: dict[str, Any] | None = None,
             body: dict[str, Any] | None = None, paced: bool = True) -> _Probe:
        import requests

        from odnb.api.errors import Timeout as ODTimeout
        from odnb.api.errors import error_from_response

        if paced:
            self.pace()
        url = f"{self.profile.base_url}/{path}"
        secrets = (self.profile.developer_key, self.profile.customer_key)
        mode = self.profile.mode
        start = time.monotonic()
        self.last_request = start
        try:
            response = self.session.request(method, url, params=params, json=body,
                                            timeout=(CONNECT_TIMEOUT, READ_TIMEOUT))
        except requests.Timeout as exc:
            err = error_from_response(method, url, None, None, mode, cls=ODTimeout, detail=type(exc).__name__,
                                      secrets=secrets)
            return _Probe(None, time.monotonic() - start, err)
        except requests.ConnectionError as exc:
            err = error_from_response(method, url, None, None, mode, cls=ConnectionFailed,
                                      detail=type(exc).__name__, secrets=secrets)
            return _Probe(None, time.monotonic() - start, err)
        seconds = time.monotonic() - start
        self.last_request = time.monotonic()
        self.durations.append(seconds)
        retry_after = response.headers.get("Retry-After")
        if response.status_code >= 400:
            try:
                wait = float(retry_after) if retry_after else None
            except ValueError:
                wait = None
            err = error_from_response(method, response.url, response.status_code, response.text, mode,
                                      retry_after=wait, secrets=secrets)
            return _Probe(response.status_code, seconds, err, retry_after=retry_after)
        try:
            data = response.json()
        except ValueError:
            from odnb.api.errors import BadResponse

            err = error_from_response(method, response.url, response.status_code, response.text[:300], mode,
                                      cls=BadResponse, secrets=secrets)
            return _Probe(response.status_code, seconds, err)
        return _Probe(response.status_code, seconds, None, body=data)


def _explain(err: ODError) -> tuple[str, str]:
    """(detail, fix) for a failed probe: what happened and why, then the fix."""
    detail = err.what + (f" — {err.cause}" if err.cause else "")
    if err.status is not None:
        detail += f" (HTTP {err.status})"
    return detail, err.fix


def _mode_text(path: Path) -> str:
    return f"{stat.S_IMODE(path.stat().st_mode):04o}"


def _check_config_file() -> Check:
    path = config_path()
    try:
        data = read_config(path)
    except ConfigError as exc:
        return Check("config file", False, exc.what, exc.fix)
    if not path.exists():
        return Check("config file", True, f"{path} not created yet; the built-in demo profile is available")
    names = ", ".join(sorted(data.get("profiles", {}))) or "none"
    loose = os.name == "posix" and stat.S_IMODE(path.stat().st_mode) & 0o077
    if loose:
        return Check("config file", False, f"{path} is readable by other users (mode {_mode_text(path)})",
                     f"Run: chmod 600 {path}")
    return Check("config file", True, f"{path} (mode {_mode_text(path)}); profiles: {names}")


def _check_cache(profile: Profile) -> Check:
    try:
        folder = practice_dir(profile)
    except OSError as exc:
        return Check("cache folder", False, f"cannot create the cache folder: {exc}",
                     "Set ODNB_CACHE_DIR (or cache_dir in the profile) to a folder you can write.")
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-"):
            pass
    except OSError as exc:
        return Check("cache folder", False, f"{folder} is not writable: {exc.strerror}",
                     f"Fix the owner/permissions of {folder} or set ODNB_CACHE_DIR to another folder.")
    if os.name == "posix":
        loose = [p for p in [folder, *folder.rglob("*")]
                 if stat.S_IMODE(p.stat(follow_symlinks=False).st_mode) & 0o077 and not p.is_symlink()]
        if loose:
            shown = ", ".join(str(p.relative_to(folder)) or "." for p in loose[:3])
            return Check("cache folder", False,
                         f"{folder}: {len(loose)} item(s) readable by other users ({shown})",
                         f"Run: chmod -R go-rwx {folder}")
    return Check("cache folder", True, f"{folder} (folder 0700, files 0600)")


def run_checks(profile_name: str | None = None, **overrides: Any) -> list[Check]:
    """Run every check for a profile; ``overrides`` go to :func:`odnb.api.profiles.load_profile`
    (base_url, developer_key, customer_key, tier, mode).

    Example:
        >>> [c.label for c in run_checks("demo")][:3]     # doctest: +SKIP
        ['PASS', 'PASS', 'PASS']
    """
    checks: list[Check] = [_check_config_file()]
    if checks[0].ok is False and "not valid TOML" in checks[0].detail:
        return [*checks, Check("profile", None, "skipped: the config file cannot be read")]

    # Profile and keys.
    try:
        sources = key_sources(profile_name, **overrides)
        profile = load_profile(profile_name, **overrides)
    except ConfigError as exc:
        missing = "key" in exc.what and "has no" in exc.what
        checks.append(Check("keys present" if missing else "profile", False, exc.what, exc.fix))
        return checks
    checks.append(Check("profile", True, f"{profile.name}: {profile.mode} mode, {profile.base_url}, "
                                         f"tier {profile.tier}"))
    note = ""
    if "file" in (sources.developer, sources.customer):
        note = " (kept in the 0600 config file; the OS keyring or an environment variable is safer)"
    checks.append(Check("keys present", True, f"developer key from {sources.developer}; customer key from "
                                              f"{sources.customer}{note}"))
    checks.extend(_network_checks(profile))
    checks.append(_check_cache(profile))
    return checks


def _network_checks(profile: Profile) -> list[Check]:
    out: list[Check] = []

    def skip_rest(why: str) -> list[Check]:
        later = ("keys accepted", "eConnector", "office version", *(f"permission: {g}" for g in PROBES),
                 "throttle", "latency")
        done = {c.name for c in out}
        return [Check(name, None, f"skipped: {why}") for name in later if name not in done]

    # Host reachable: a bare TCP connection.
    parts = urlsplit(profile.base_url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    start = time.monotonic()
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT):
            pass
    except OSError as exc:
        from odnb.api.errors import error_from_response

        err = error_from_response("CONNECT", profile.base_url, None, None, profile.mode, cls=ConnectionFailed,
                                  detail=str(exc))
        out.append(Check("host reachable", False, f"{host}:{port}: {exc.strerror or exc}", err.fix))
        return out + skip_rest("host not reachable")
    out.append(Check("host reachable", True, f"{host}:{port} accepts connections "
                                             f"({(time.monotonic() - start) * 1000:.0f} ms)"))

    api = _Api(profile)
    # Keys accepted + Read All: the cheapest list GET.
    method, path, _ = PROBES["Read All"]
    first = api.call(method, path, params={"Limit": 1})
    err = first.error
    if isinstance(err, EConnectorDown):
        out.append(Check("keys accepted", None, "not confirmed: the office's eConnector did not answer"))
        detail, fix = _explain(err)
        out.append(Check("eConnector", False, detail, fix))
        return out + skip_rest("the eConnector is not answering")
    if err is not None and not isinstance(err, PermissionDenied):
        detail, fix = _explain(err)
        out.append(Check("keys accepted", False, detail, fix))
        return out + skip_rest("the keys were not accepted" if err.status == 401 else "the probe failed")
    out.append(Check("keys accepted", True, f"GET {path}?Limit=1 answered {first.status}"
                     if err is None else "the keys are valid (the probe was refused for permission only)"))
    if profile.mode == "remote":
        out.append(Check("eConnector", True, "the office's eConnector answered through Open Dental's cloud"))
    else:
        out.append(Check("eConnector", None, f"not used in {profile.mode} mode"))

    # Office version: the ProgramVersion preference, when the server serves preferences.
    version = api.call("GET", "preferences", params={"PrefName": "ProgramVersion"})
    rows = version.body if isinstance(version.body, list) else []
    values = [str(r["ValueString"]) for r in rows if isinstance(r, dict) and r.get("ValueString")]
    value = values[0] if values else None
    if value:
        out.append(Check("office version", True, f"Open Dental {value}"))
    else:
        why = f"HTTP {version.status}" if version.status else "no answer"
        out.append(Check("office version", None, f"not derivable (GET preferences?PrefName=ProgramVersion: "
                                                  f"{why}); odnb explains a too-old version when a method "
                                                  "needs a newer one"))

    # Permission groups.
    if err is None:
        out.append(Check("permission: Read All", True, f"GET {path} allowed"))
    else:
        detail, fix = _explain(err)
        out.append(Check("permission: Read All", False, detail, fix))
    for group, (method, path, body) in PROBES.items():
        if group == "Read All":
            continue
        probe = api.call(method, path, body=body)
        if probe.error is None:
            out.append(Check(f"permission: {group}", True, f"{method} {path} allowed"))
            continue
        detail, fix = _explain(probe.error)
        if isinstance(probe.error, PermissionDenied) and profile.tier == "read_all":
            out.append(Check(f"permission: {group}", None,
                             f"not granted, as expected on the free Read All tier: {detail}",
                             "Optional: " + fix))
        else:
            out.append(Check(f"permission: {group}", False, detail, fix))
    out.append(Check("other permissions", None, f"not probed: {', '.join(NOT_PROBED)} and the other write "
                                                "groups have no read-only call to test them with"))

    out.append(_check_throttle(api))
    if api.durations:
        ordered = sorted(api.durations)
        median = ordered[len(ordered) // 2]
        out.append(Check("latency", True, f"median {median * 1000:.0f} ms over {len(ordered)} request(s), "
                                          f"slowest {ordered[-1] * 1000:.0f} ms"))
    return out


def _check_throttle(api: _Api) -> Check:
    """Remote mode: send one request straight after another and see the server throttle it (a 429, or the
    answer held back), then one after the tier's interval, which must pass unthrottled."""
    profile = api.profile
    interval = profile.min_interval
    if profile.mode != "remote":
        return Check("throttle", True, f"no throttle ({profile.mode} mode)")
    quick = api.call("GET", "providers", params={"Limit": 1}, paced=False)
    if quick.error is not None and quick.status != 429:
        return Check("throttle", False, *_explain(quick.error))
    held = quick.status != 429 and quick.seconds >= interval / 2
    if quick.status != 429 and not held:
        took = f"{quick.seconds * 1000:.0f} ms"
        return Check("throttle", True, f"not observed: a request sent straight after another was answered in "
                                       f"{took}; odnb paces at 1 request / {interval:g} s anyway")
    how = (f"429 (Retry-After: {quick.retry_after or 'none'})" if quick.status == 429
           else f"answer held back {quick.seconds:.1f} s")
    time.sleep(interval + 0.05)
    paced = api.call("GET", "providers", params={"Limit": 1}, paced=False)
    if paced.status == 429 or (paced.error is None and paced.seconds >= interval / 2):
        slower = {"enterprise": "paid", "paid": "read_all"}.get(profile.tier)
        where = (f"pass --tier {slower}" if profile.name.startswith("url-")
                 else f'set tier = "{slower}" in [profiles.{profile.name}]')
        fix = (f"The key's real plan is slower than tier {profile.tier}: {where}." if slower
               else "Run one notebook / job at a time on this customer key.")
        return Check("throttle", False, f"a request {interval:g} s after the previous one was still "
                                        f"throttled (tier {profile.tier})", fix)
    if paced.error is not None:
        return Check("throttle", False, *_explain(paced.error))
    return Check("throttle", True, f"observed for an immediate request ({how}); a request after "
                                   f"{interval:g} s (tier {profile.tier}) went straight through")


def format_checks(checks: list[Check], header: str = "") -> str:
    """The plain-text checklist: one line per check, its fix underneath when it failed."""
    width = max(len(c.name) for c in checks)
    lines = [header] if header else []
    for c in checks:
        lines.append(f"{c.label}  {c.name.ljust(width)}  {c.detail}")
        if c.fix and c.ok is not True:
            lines.append(f"{'':6}{'':{width}}  fix: {c.fix}")
    failed = sum(c.ok is False for c in checks)
    passed = sum(c.ok is True for c in checks)
    skipped = sum(c.ok is None for c in checks)
    verdict = "setup is ready" if not failed else "fix the FAIL lines above and run odnb doctor again"
    lines.append(f"{passed} passed, {failed} failed, {skipped} skipped — {verdict}")
    return "\n".join(lines)


def _cmd_doctor(args: argparse.Namespace) -> int:
    given = {"base_url": args.base_url, "tier": args.tier, "mode": args.mode}
    overrides = {k: v for k, v in given.items() if v}
    checks = run_checks(args.profile, **overrides)
    failed = any(c.ok is False for c in checks)
    if args.json:
        text = json.dumps({"ok": not failed, "checks": [asdict(c) for c in checks]}, indent=1)
    else:
        resolved = next((c.detail.split(":")[0] for c in checks if c.name == "profile" and c.ok), None)
        name = resolved or args.profile or os.environ.get("ODNB_PROFILE") or "default profile"
        text = format_checks(checks, header=f"odnb doctor — {name}")
    try:
        print(text)
        sys.stdout.flush()
    except BrokenPipeError:  # `odnb doctor --json | head`: the reader left early; not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 1 if failed else 0


def register(subparsers: Any) -> None:
    """Add ``odnb doctor [--profile P] [--json]``."""
    parser = subparsers.add_parser(
        "doctor", help="check the setup: keys, host, eConnector, permissions, throttle, cache",
        description="Run the setup prerequisites as a checklist; exits 1 when any line fails.",
    )
    parser.add_argument("--profile", help="profile name (default: ODNB_PROFILE, the config default, or demo)")
    parser.add_argument("--base-url", help="override the profile's base URL")
    parser.add_argument("--mode", help="override the mode (remote | local | service)")
    parser.add_argument("--tier", help="override the tier (read_all | paid | enterprise)")
    parser.add_argument("--json", action="store_true", help="print the checks as JSON")
    parser.set_defaults(func=_cmd_doctor)

