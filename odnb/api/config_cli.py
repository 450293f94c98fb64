"""The ``odnb config`` commands: ``add``, ``list``, ``show``, ``default``, ``remove`` and ``check``. They
never print a key: only where each one comes from.

Example:
    $ odnb config add myoffice --mode remote --developer-key-keyring --customer-key-keyring
    $ odnb config list
    $ odnb config show myoffice
    $ odnb config default myoffice
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from odnb.api.errors import ConfigError
from odnb.api.profiles import (
    DEMO_PROFILE,
    EMBEDDED_PLACEHOLDER,
    KEY_KINDS,
    _error,
    _file_mode,
    _resolve,
    _table_mode_url,
    check_new_profile,
    config_path,
    key_sources,
    keyring_set,
    load_mail_settings,
    load_profile,
    profile_goals,
    profile_names,
    read_config,
    remove_profile,
    save_profile,
    set_default_profile,
)

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
                        cache_dir=args.cache_dir, make_default=bool(args.default),
                        replace=args.replace, **options)
    print(f"Saved profile {args.name!r} to {path} (mode 0600).")
    _print_profiles([args.name])
    sources = key_sources(args.name)
    if "missing" in sources.developer or "missing" in sources.customer:
        print("Keys still missing; supply them with the OS keyring (--developer-key-keyring / "
              "--customer-key-keyring), an environment variable, or ODNB_DEVELOPER_KEY / ODNB_CUSTOMER_KEY.")
    if not args.default:
        print(f"Not made the default profile: pass --profile {args.name} to commands, or add it again with "
              "--default to make it the default.")
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


def _cmd_show(args: argparse.Namespace) -> int:
    path = config_path()
    data = read_config(path)
    name = args.name or os.environ.get("ODNB_PROFILE") or data.get("default") or DEMO_PROFILE
    if name != DEMO_PROFILE and name not in profile_names(data):
        known = ", ".join([DEMO_PROFILE, *profile_names(data)])
        raise _error(f"No profile named {name!r} in {path} (known: {known}).",
                     "See them with: odnb config list")
    row = _profile_row(name)
    table = data.get("profiles", {}).get(name, {})
    default = os.environ.get("ODNB_PROFILE") or data.get("default") or DEMO_PROFILE
    print(f"profile:       {name}" + (" (the default)" if name == default else ""))
    print(f"defined in:    {'built in (the demo practice)' if name == DEMO_PROFILE else path}")
    for label, key in (("mode", "mode"), ("base URL", "base_url"), ("tier", "tier")):
        print(f"{label + ':':<15}{row[key]}")
    print(f"{'cache folder:':<15}{table.get('cache_dir') or '(default, under the user cache folder)'}")
    print(f"{'developer key:':<15}from {row['developer']}")
    print(f"{'customer key:':<15}from {row['customer']}")
    goals = profile_goals(name, data) if name != DEMO_PROFILE else {}
    if goals:
        print(f"{'goals:':<15}" + ", ".join(f"{k} = {v:g}" for k, v in goals.items()))
    if row.get("error"):
        print(f"error: {row['error']}")
        return 1
    return 0


def _cmd_default(args: argparse.Namespace) -> int:
    if not args.name:
        data = read_config()
        env = os.environ.get("ODNB_PROFILE")
        name = env or data.get("default") or DEMO_PROFILE
        where = "ODNB_PROFILE" if env else (config_path() if data.get("default") else "built-in fallback")
        print(f"Default profile: {name} (from {where})")
        return 0
    path = set_default_profile(args.name)
    print(f"Default profile is now {args.name!r} (in {path}).")
    if os.environ.get("ODNB_PROFILE") and os.environ["ODNB_PROFILE"] != args.name:
        print(f"Note: ODNB_PROFILE={os.environ['ODNB_PROFILE']} is set in this shell and wins over the file.")
    return 0


def _cmd_remove(args: argparse.Namespace) -> int:
    path, was_default = remove_profile(args.name)
    print(f"Removed profile {args.name!r} from {path}." + (" It was the default: the default is now the "
                                                            "built-in demo (odnb config default NAME)."
                                                            if was_default else ""))
    print("Its cache, store and reports are kept (delete its folder under the odnb cache to drop them); keys "
          "in the OS keyring are left there.")
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
    try:
        mail = load_mail_settings()
    except ConfigError as exc:
        line(False, f"[mail]: {exc.what}", exc.fix)
    else:
        if mail is None:
            line(True, "[mail]: none (odnb report --email and scheduled emails need one)")
        else:
            who = f"as {mail.user} (password found)" if mail.user else "without login"
            line(True, f"[mail]: {mail.host}:{mail.port} {mail.security} {who}, from "
                       f"{mail.sender or mail.user or 'odnb@localhost'}")
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
    """Add ``odnb config add|list|show|default|remove|check``."""
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

    show = sub.add_parser("show", help="one profile's settings and where its keys come from (never a key)")
    show.add_argument("name", nargs="?", help="profile (default: the default profile)")
    show.set_defaults(func=_handle_config_error(_cmd_show))

    default = sub.add_parser("default", help="show the default profile, or make NAME the default")
    default.add_argument("name", nargs="?", help="profile to make the default (a profile of yours or demo)")
    default.set_defaults(func=_handle_config_error(_cmd_default))

    remove = sub.add_parser("remove", help="delete a profile from the config file")
    remove.add_argument("name")
    remove.set_defaults(func=_handle_config_error(_cmd_remove))

    check = sub.add_parser("check", help="load profiles and [mail], report missing keys and file permissions")
    check.add_argument("--profile", help="check only this profile")
    check.set_defaults(func=_handle_config_error(_cmd_check))
