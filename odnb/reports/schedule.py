"""Scheduled reports: a TOML jobs file, relative dates, a foreground runner and systemd/cron installers.

The jobs file (``--jobs FILE``, default ``jobs.toml`` next to the config file)::

    [[job]]
    name = "weekly-kpis"                 # unique; letters, digits, '.', '_', '-'
    notebook = "practice_kpis"           # curated name or path of an .ipynb
    profiles = ["north", "south"]        # or: profile = "demo"
    cron = "0 7 * * MON"                 # minute hour day-of-month month day-of-week (local time)
    email = ["owner@example.com"]        # optional
    [job.parameters]
    period = "last month"                # expands into start and end

Relative dates (resolved against the scheduled run's date): ``today``, ``yesterday``, ``N days ago``
(one day); ``last week`` (Mon-Sun), ``this week`` / ``week to date``, ``last month``, ``this month`` /
``month to date``, ``last year``, ``this year`` / ``year to date``, ``last N days`` (ending yesterday)
(periods). ``period = "<period>"`` sets ``start`` and ``end``; ``start = "last month"`` takes the period's
first day, ``end = "last month"`` its last; ``"last month start"`` / ``"last month end"`` say it outright.

Relative dates are expanded by :func:`odnb.periods.expand_parameters`.

Example:
    >>> from datetime import date
    >>> job = Job(name="weekly", notebook="practice_kpis", profiles=("demo",), cron="0 7 * * MON")
    >>> job.name, job.profiles
    ('weekly', ('demo',))
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import re
import shlex
import shutil
import sys
import time
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from odnb.failures import ODError
from odnb.periods import PeriodError, expand_parameters

JOB_FIELDS = frozenset({"name", "notebook", "profile", "profiles", "cron", "email", "parameters"})
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
UNIT_NAME = "odnb-schedule"


def _log(message: str) -> None:
    """Progress lines with the local time (a cron log file has no other), flushed at once so journald /
    docker logs show them as they happen."""
    print(f"{datetime.now():%Y-%m-%d %H:%M:%S} {message}", flush=True)


class ScheduleError(ODError):
    """A jobs file or a relative date that cannot be used: what is wrong, and how to fix it."""


# ---------------------------------------------------------------------------------------------------------
# Jobs file


@dataclass(frozen=True)
class Job:
    """One scheduled report: a notebook over one or more profiles, on a cron schedule."""

    name: str
    notebook: str
    profiles: tuple[str, ...]
    cron: str
    email: tuple[str, ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict)

    def next_runs(self, after: datetime, count: int = 3) -> list[datetime]:
        """The next ``count`` scheduled times strictly after ``after`` (local, naive)."""
        from croniter import croniter

        it = croniter(self.cron, after)
        return [it.get_next(datetime) for _ in range(count)]

    def last_due(self, now: datetime) -> datetime:
        """The latest scheduled time at or before ``now`` (cron times are whole minutes, so this is the
        latest one at or before ``now``'s minute: never a time still ahead of ``now``)."""
        from croniter import croniter

        return croniter(self.cron, now.replace(second=0, microsecond=0) + timedelta(minutes=1)
                        ).get_prev(datetime)


def default_jobs_path() -> Path:
    """``jobs.toml`` next to the config file."""
    from odnb.api import profiles

    return profiles.config_path().parent / "jobs.toml"


def _job_from_table(table: Any, where: str) -> Job:
    from croniter import croniter

    if not isinstance(table, dict):
        raise ScheduleError(f"{where} is not a table: write [[job]] followed by key = value lines.")
    unknown = sorted(set(table) - JOB_FIELDS)
    if unknown:
        known = ", ".join(sorted(JOB_FIELDS))
        raise ScheduleError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {known}.")
    name = table.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise ScheduleError(f"{where}: name must be text of letters, digits, '.', '_' or '-' (got {name!r}).")
    where = f"{where} ({name})"
    if not isinstance(table.get("notebook"), str) or not table["notebook"]:
        raise ScheduleError(f"{where}: notebook is missing: write notebook = \"practice_kpis\".")
    if ("profile" in table) == ("profiles" in table):
        raise ScheduleError(f"{where}: give exactly one of profile = \"name\" or profiles = [\"a\", \"b\"].")
    profiles = [table["profile"]] if "profile" in table else table["profiles"]
    if not isinstance(profiles, list) or not profiles or not all(isinstance(p, str) and p for p in profiles):
        raise ScheduleError(f"{where}: profiles must be a non-empty list of profile names.")
    if len(set(profiles)) != len(profiles):
        raise ScheduleError(f"{where}: profiles lists a profile twice.")
    cron = table.get("cron")
    if not isinstance(cron, str) or len(cron.split()) != 5 or not croniter.is_valid(cron):
        raise ScheduleError(f"{where}: cron {cron!r} is not a 5-field cron expression "
                            "(minute hour day month weekday), e.g. \"0 7 * * MON\".")
    try:
        croniter(cron, datetime(2026, 1, 1)).get_next(datetime)
    except (ValueError, KeyError, OverflowError):  # CroniterBadDateError: a day that never comes
        raise ScheduleError(f"{where}: cron {cron!r} can never fire (no such date, e.g. 30 February): "
                            "pick a day every month has, e.g. \"0 7 28 * *\" or \"0 7 L * *\".") from None
    email = table.get("email", [])
    if isinstance(email, str):
        email = [email]
    from odnb.api.profiles import is_email_address

    if not isinstance(email, list) or not all(isinstance(a, str) and is_email_address(a) for a in email):
        bad = [a for a in email if not (isinstance(a, str) and is_email_address(a))] \
            if isinstance(email, list) else [email]
        raise ScheduleError(f"{where}: email must be a list of addresses, e.g. [\"owner@example.com\"] "
                            f"(not: {', '.join(map(repr, bad))}).")
    params = table.get("parameters", {})
    if not isinstance(params, dict):
        raise ScheduleError(f"{where}: parameters must be a table: [job.parameters] then name = value.")
    from odnb.reports.notebooks import ReportError, check_parameters, refuse_patient_email

    try:
        check_parameters(params)
        expand_parameters(params, date(2026, 1, 15))  # any day: checks the vocabulary now, not at 7 am
        if email:
            refuse_patient_email(Path(table["notebook"]))
    except (ReportError, PeriodError, ScheduleError) as exc:
        raise ScheduleError(f"{where}: {exc}") from None
    return Job(name=name, notebook=table["notebook"], profiles=tuple(profiles), cron=" ".join(cron.split()),
               email=tuple(email), parameters=dict(params))


def load_jobs(path: Path | None = None) -> list[Job]:
    """Parse and check a jobs file; every problem is reported with the file, job and fix."""
    path = Path(path or default_jobs_path()).expanduser()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScheduleError(f"No jobs file at {path}. Create it (see `odnb schedule --help`) or pass "
                            "--jobs FILE.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScheduleError(f"{path} is not valid TOML: {exc}.") from None
    tables = data.get("job", [])
    extra = sorted(set(data) - {"job"})
    if extra or not isinstance(tables, list) or not tables:
        raise ScheduleError(f"{path}: expected one or more [[job]] tables"
                            + (f" (found {', '.join(extra)})" if extra else "") + ".")
    jobs = [_job_from_table(t, f"{path}: job {i + 1}") for i, t in enumerate(tables)]
    names = [j.name for j in jobs]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ScheduleError(f"{path}: job name(s) used twice: {', '.join(dup)}.")
    return jobs


# ---------------------------------------------------------------------------------------------------------
# State and locks (in the odnb cache dir)


def schedule_dir() -> Path:
    """``$ODNB_CACHE_DIR/schedule`` (0700): state.json and one lock file per job."""
    from odnb import paths

    return paths.practice_dir("schedule")


@contextlib.contextmanager
def _flock(path: Path, *, block: bool) -> Iterator[bool]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if block else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing releases the lock


def job_lock(name: str) -> contextlib.AbstractContextManager[bool]:
    """Non-blocking exclusive lock for one job: yields False when another run of it holds the lock."""
    return _flock(schedule_dir() / f"{name}.lock", block=False)


def read_state() -> dict[str, dict[str, Any]]:
    path = schedule_dir() / "state.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except ValueError:
        return {}  # a damaged state file: every job is treated as new (no surprise catch-up storm)


def update_state(name: str, **values: Any) -> None:
    """Merge ``values`` into the job's entry of state.json (atomic, under a lock shared by all runners)."""
    from odnb import paths

    folder = schedule_dir()
    with _flock(folder / "state.lock", block=True):
        state = read_state()
        state.setdefault(name, {}).update({k: (v.isoformat(timespec="seconds") if isinstance(v, datetime)
                                               else v) for k, v in values.items()})
        paths.write_private_file(folder / "state.json", (json.dumps(state, indent=2) + "\n").encode())


def due_time(job: Job, now: datetime, state: Mapping[str, Any]) -> datetime | None:
    """The scheduled time to run now, or None. A new job starts at its next time (it is not run at once);
    a job that missed several times while nothing ran is due once, for the latest of them."""
    last = job.last_due(now)
    seen = state.get(job.name, {}).get("last_due")
    if seen is None:
        update_state(job.name, last_due=last)
        return None
    return last if last > datetime.fromisoformat(seen) else None


# ---------------------------------------------------------------------------------------------------------
# Running jobs


@dataclass
class JobRun:
    """One run of a job: a report per profile, and a roll-up when there are several."""

    job: Job
    due: datetime
    results: list[Any] = field(default_factory=list)
    rollup_csv: Path | None = None
    rollup_html: Path | None = None
    mail_error: str | None = None
    skipped: str | None = None

    @property
    def exit_code(self) -> int:
        if self.skipped:
            return 0
        if any(not r.ok for r in self.results):
            return 1
        return 3 if self.mail_error or any(r.mail_error for r in self.results) else 0


JOB_WORKERS = 4  # practices of one job rendered at once (each is mostly waiting on its key's throttle)


def run_job(job: Job, due: datetime, *, mail_settings: Any = None, ssl_context: Any = None,
            log: Any = _log) -> JobRun:
    """Run ``job`` for its scheduled time ``due`` unless another run of it holds its lock."""
    from odnb.reports.notebooks import ReportError
    from odnb.reports.rollup import write_rollup
    from odnb.reports.run import ReportResult, run_report

    run = JobRun(job, due)
    with job_lock(job.name) as locked:
        if not locked:
            run.skipped = f"job {job.name} is still running elsewhere (lock held); skipped"
            log(run.skipped)
            return run
        seen = read_state().get(job.name, {}).get("last_due")
        if seen and datetime.fromisoformat(seen) >= due:  # another runner did this time while we waited
            run.skipped = f"job {job.name} already ran for {due:%Y-%m-%d %H:%M}; skipped"
            log(run.skipped)
            return run
        update_state(job.name, last_due=due, last_started=datetime.now())
        log(f"{job.name}: starting the run due {due:%Y-%m-%d %H:%M} for {', '.join(job.profiles)}")
        params = expand_parameters(job.parameters, due.date())

        def one(profile: str) -> ReportResult:
            try:
                result = run_report(job.notebook, profile=profile, parameters=params,
                                    email=list(job.email) or None, mail_settings=mail_settings,
                                    ssl_context=ssl_context)
            except ReportError as exc:
                result = ReportResult(None, None, None, ok=False, error=str(exc), name=job.notebook,
                                      profile=profile)
            except Exception as exc:  # e.g. an unusable [mail] section: the other profiles still run
                result = ReportResult(None, None, None, ok=False, name=job.notebook, profile=profile,
                                      error=f"{type(exc).__name__}: {str(exc).strip()[:300]}")
            # The log names the failing cell and the exception type only: the exception's message can quote
            # patient data, and logs travel (journald, cron mail); the partial notebook has the full error.
            what = (str(result.html_path) if result.ok
                    else f"FAILED in {result.failure.label}: {result.failure.ename} (partial notebook "
                         f"{result.notebook_path})" if result.failure
                    else f"FAILED: {result.error}")
            mailed = (f" (mail not sent: {result.mail_error})" if result.mail_error
                      else f" (mailed to {len(result.recipients)} recipient(s) via {result.mail_server})"
                      if result.recipients else "")
            log(f"{job.name} [{profile}]: {what}{mailed}")
            return result

        # Practices at once, one worker per customer key (the throttle is per key), bounded; one
        # practice's failure is its own result and the others run on.
        from odnb.store.many import profile_group, run_grouped

        run.results.extend(run_grouped(job.profiles, one, group=profile_group, workers=JOB_WORKERS))
        if len(job.profiles) > 1:
            rollup = write_rollup(job, run.results, datetime.now())
            run.rollup_csv, run.rollup_html = rollup.csv_path, rollup.html_path
            log(f"{job.name}: roll-up {run.rollup_html}")
            if job.email:
                from odnb.reports import mail

                try:
                    settings = mail_settings or mail.require_settings()
                    mail.send_html(rollup.page, list(job.email), settings, subject=rollup.subject,
                                   text=rollup.text, ssl_context=ssl_context)
                    log(f"{job.name}: roll-up mailed to {len(job.email)} recipient(s)")
                except mail.MailError as exc:
                    run.mail_error = str(exc)
                    log(f"{job.name}: roll-up mail not sent: {exc}")
        failed = [f"{r.profile}: {r.failure.label} {r.failure.ename}" if r.failure else f"{r.profile}: failed"
                  for r in run.results if not r.ok]
        update_state(job.name, last_finished=datetime.now(), last_ok=not failed,
                     last_error="; ".join(failed) or None)
    return run


def run_due(jobs: list[Job], now: datetime | None = None, **options: Any) -> list[JobRun]:
    """Run every job that is due at ``now`` (each once, even after several missed times)."""
    now = now or datetime.now()
    state = read_state()
    runs = []
    for job in jobs:
        due = due_time(job, now, state)
        if due is not None:
            runs.append(run_job(job, due, **options))
    return runs


def serve(jobs_path: Path, *, log: Any = _log) -> None:
    """Foreground loop: catch up once, then sleep until each next scheduled time (re-reads the file)."""
    jobs = load_jobs(jobs_path)
    log(f"odnb schedule: {len(jobs)} job(s) from {jobs_path}")
    while True:
        try:
            jobs = load_jobs(jobs_path)
        except ScheduleError as exc:
            log(f"odnb schedule: keeping the previous jobs: {exc}")
        try:
            run_due(jobs, log=log)
        except Exception as exc:  # one bad pass (disk full, a bug) must not stop every later schedule
            log(f"odnb schedule: a pass failed, trying again at the next scheduled time: "
                f"{type(exc).__name__}: {str(exc).strip()[:300]}")
        now = datetime.now()
        wake = min(j.next_runs(now, 1)[0] for j in jobs)
        time.sleep(max(1.0, min(60.0, (wake - datetime.now()).total_seconds() + 0.5)))


# ---------------------------------------------------------------------------------------------------------
# Installers


def odnb_command() -> list[str]:
    """Absolute command line that starts this odnb (the console script beside this Python, else -m)."""
    script = Path(sys.executable).parent / "odnb"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script.absolute())]
    found = shutil.which("odnb")
    return [str(Path(found).absolute())] if found else [str(Path(sys.executable).absolute()), "-m", "odnb"]


def _quoted(cmd: list[str]) -> str:
    return " ".join(shlex.quote(part) for part in cmd)


def _env_lines() -> dict[str, str]:
    """Location variables to carry into the unit/crontab (absolute paths; never secrets)."""
    keep = ("ODNB_CONFIG", "ODNB_CACHE_DIR", "ODNB_REPORTS_DIR")
    return {k: str(Path(os.environ[k]).expanduser().absolute()) for k in keep if os.environ.get(k)}


def systemd_units(jobs_path: Path) -> dict[str, str]:
    """``odnb-schedule.service`` (oneshot: run what is due) and ``odnb-schedule.timer`` (every minute)."""
    cmd = _quoted([*odnb_command(), "schedule", "run", "--once", "--jobs", str(jobs_path.absolute())])
    cmd = cmd.replace("%", "%%")  # systemd expands %-specifiers
    env = "".join(f'Environment="{k}={v.replace("%", "%%")}"\n' for k, v in _env_lines().items())
    service = (
        "[Unit]\nDescription=odnb scheduled reports (runs the jobs that are due)\n"
        "Wants=network-online.target\nAfter=network-online.target\n\n"
        "[Service]\nType=oneshot\n" + env
        + "# Secrets: keyring, or an EnvironmentFile=%h/.config/odnb/secrets.env (mode 0600)\n"
        f"ExecStart={cmd}\n"
    )
    timer = (
        "[Unit]\nDescription=Check odnb scheduled reports every minute\n\n"
        "[Timer]\nOnCalendar=*-*-* *:*:00\nPersistent=true\nAccuracySec=1s\n\n"
        "[Install]\nWantedBy=timers.target\n"
    )
    return {f"{UNIT_NAME}.service": service, f"{UNIT_NAME}.timer": timer}


def cron_line(jobs_path: Path) -> str:
    """One crontab line: every minute, run whatever is due (state and locks make that idempotent)."""
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in _env_lines().items())
    log = shlex.quote(str(schedule_dir() / "schedule.log"))
    cmd = _quoted([*odnb_command(), "schedule", "run", "--once", "--jobs", str(jobs_path.absolute())])
    line = f"* * * * * {env + ' ' if env else ''}{cmd} >> {log} 2>&1"
    return line.replace("%", "\\%")  # cron turns a bare % into a newline


# ---------------------------------------------------------------------------------------------------------
# CLI


def register(subparsers: Any) -> None:
    """``odnb schedule run|install|list``."""
    description = re.sub(r":\w+:`([^`]*)`", r"\1", __doc__.split("Example:")[0])  # :func:`x` -> x
    description = description.replace("``", "").replace("::\n", ":\n")  # no RST in a terminal
    parser = subparsers.add_parser("schedule", help="run, install and list scheduled reports",
                                   description=description,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="schedule_command", metavar="ACTION", required=True)
    jobs_help = "jobs file (default: jobs.toml next to the config file)"

    run = sub.add_parser("run", help="run jobs in the foreground (for systemd or a container)")
    run.add_argument("--jobs", type=Path, help=jobs_help)
    run.add_argument("--once", action="store_true", help="run what is due now, then exit")
    run.set_defaults(func=_cmd_run)

    install = sub.add_parser("install", help="print (or write) a systemd timer or a crontab line")
    kind = install.add_mutually_exclusive_group(required=True)
    kind.add_argument("--systemd", action="store_true", help="a user service + timer")
    kind.add_argument("--cron", action="store_true", help="a crontab line")
    install.add_argument("--jobs", type=Path, help=jobs_help)
    install.add_argument("--write", action="store_true", help="write the units to ~/.config/systemd/user")
    install.set_defaults(func=_cmd_install)

    show = sub.add_parser("list", help="each job with its next three runs")
    show.add_argument("--jobs", type=Path, help=jobs_help)
    show.set_defaults(func=_cmd_list)


def _jobs_or_exit(args: argparse.Namespace) -> tuple[Path, list[Job]] | None:
    path = Path(args.jobs or default_jobs_path()).expanduser().absolute()
    try:
        jobs = load_jobs(path)
        for job in jobs:
            _check_runnable(job, path)
        return path, jobs
    except ScheduleError as exc:
        print(f"odnb schedule: {exc}", file=sys.stderr)
        return None


def _check_runnable(job: Job, path: Path) -> None:
    """What a job will need at its time, checked now: its profiles (and their keys), its notebook, and a
    usable [mail] section when it emails."""
    from odnb.api import profiles
    from odnb.reports.notebooks import ReportError, resolve_notebook

    where = f"{path}: job {job.name}"
    data = profiles.read_config()
    known = [profiles.DEMO_PROFILE, *profiles.profile_names(data)]
    unknown = [p for p in job.profiles if p not in known]
    if unknown:
        raise ScheduleError(f"{where}: no profile named {', '.join(map(repr, unknown))} (known: "
                            f"{', '.join(known)}). Add it with odnb config add NAME ..., or fix the name.")
    for name in job.profiles:
        try:
            profiles.check_profile(name)
        except profiles.ConfigError as exc:
            raise ScheduleError(f"{where}: profile {name!r} cannot be used: {exc.what} {exc.fix}") from None
    try:
        resolve_notebook(job.notebook)
    except ReportError as exc:
        raise ScheduleError(f"{where}: {exc}") from None
    if job.email:
        try:
            settings = profiles.load_mail_settings()
        except profiles.ConfigError as exc:
            raise ScheduleError(f"{where} emails, but {exc.what} {exc.fix}") from None
        if settings is None:
            raise ScheduleError(f"{where} emails {', '.join(job.email)}, but {profiles.config_path()} has no "
                                "[mail] section: add host, port, security, user and sender (see the README).")


def _cmd_run(args: argparse.Namespace) -> int:
    loaded = _jobs_or_exit(args)
    if loaded is None:
        return 2
    path, jobs = loaded
    if not args.once:
        serve(path)
        return 0
    runs = run_due(jobs)
    if not runs:
        print("odnb schedule: nothing due")
    return max((r.exit_code for r in runs), default=0)


def _cmd_install(args: argparse.Namespace) -> int:
    loaded = _jobs_or_exit(args)
    if loaded is None:
        return 2
    path, _ = loaded
    if args.cron:
        print(cron_line(path))
        again = _quoted([*odnb_command(), "schedule", "install", "--cron", "--jobs", str(path)])
        print(f"# add it with: (crontab -l 2>/dev/null; {again} 2>/dev/null) | crontab -", file=sys.stderr)
        return 0
    units = systemd_units(path)
    if args.write:
        folder = Path.home() / ".config" / "systemd" / "user"
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in units.items():
            (folder / name).write_text(text, encoding="utf-8")
            print(folder / name)
        print(f"then: systemctl --user daemon-reload && systemctl --user enable --now {UNIT_NAME}.timer\n"
              "(and `loginctl enable-linger $USER` so it runs while you are logged out)")
        return 0
    for name, text in units.items():
        print(f"# {name}\n{text}")
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    loaded = _jobs_or_exit(args)
    if loaded is None:
        return 2
    _, jobs = loaded
    state, now = read_state(), datetime.now()
    for job in jobs:
        last = state.get(job.name, {})
        status = ("never run" if "last_finished" not in last
                  else f"last run {last['last_finished']} ({'ok' if last.get('last_ok') else 'FAILED'})")
        if last.get("last_started") and last["last_started"] > last.get("last_finished", ""):
            status = (f"run started {last['last_started']} has not finished (still running, or stopped "
                      f"before the end)" + ("" if "last_finished" not in last else f"; before that {status}"))
        print(f"{job.name}: {job.notebook} for {', '.join(job.profiles)}, cron \"{job.cron}\", {status}")
        print("  next: " + ", ".join(f"{t:%a %Y-%m-%d %H:%M}" for t in job.next_runs(now, 3)))
    return 0
