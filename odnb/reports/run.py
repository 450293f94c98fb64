"""Run a notebook with papermill and turn it into a self-contained, email-safe HTML report.

``odnb report practice_kpis --profile demo -p period="last month"`` executes the curated notebook (or any
notebook path) in a fresh kernel, then writes three files into the practice's private report folder
(``$ODNB_REPORTS_DIR/<profile>``, 0700; files 0600)::

    practice_kpis-20261124-070000.ipynb      the executed notebook (kept, even partial, when a cell fails)
    practice_kpis-20261124-070000.html       no code, no JavaScript, charts as inline PNG, inline styles
    practice_kpis-20261124-070000.kpis.json  the headline figures the notebook handed to publish_kpis()

Inside a notebook, hand the headline figures to the runner with :func:`odnb.reports.publish_kpis`.
Curated notebooks ship inside the package (see :mod:`odnb.reports.notebooks`).

Example:
    >>> r = run_report("practice_kpis", profile="demo")   # doctest: +SKIP
    >>> r.ok, r.html_path.suffix                          # doctest: +SKIP
    (True, '.html')
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from odnb.reports.notebooks import (
    ReportError,
    check_parameters,
    curated_notebooks,
    lists_patients,
    notebook_title,
    parse_parameters,
    refuse_patient_email,
    resolve_notebook,
)
from odnb.reports.payload import extract_kpis
from odnb.reports.render import render_html

KERNEL_NAME = "python3"
STATIC_CHARTS_ENV = "ODNB_STATIC_CHARTS"

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_MAIL = 0, 1, 2, 3


@dataclass(frozen=True)
class CellFailure:
    """Where a run stopped. ``index`` is 1-based among the cells of the source notebook."""

    index: int
    total: int
    cell_id: str
    tags: tuple[str, ...]
    first_line: str
    ename: str
    evalue: str

    @property
    def label(self) -> str:
        """``cell 4 of 7 (id 'ab12', tags fetch)`` — names the cell without any of its output."""
        tags = f", tags {', '.join(self.tags)}" if self.tags else ""
        return f"cell {self.index} of {self.total} (id {self.cell_id!r}{tags})"

    def describe(self) -> str:
        """For the operator's terminal: the cell, its first source line, exception type and message."""
        message = self.evalue.strip().splitlines()[0][:200] if self.evalue.strip() else ""
        text = f"{self.label}, starting `{self.first_line}`: {self.ename}"
        return f"{text}: {message}" if message else text


@dataclass
class ReportResult:
    """What one run produced. Paths are None for files that were not written."""

    notebook_path: Path | None
    html_path: Path | None
    kpis_path: Path | None
    ok: bool
    error: str | None = None
    name: str = ""
    profile: str = ""
    failure: CellFailure | None = None
    kpis: dict[str, Any] | None = None
    mail_error: str | None = None
    started_at: datetime = field(default_factory=datetime.now)
    title: str = ""
    lists_patients: bool = False
    recipients: tuple[str, ...] = ()  # who was mailed (when mail was sent)
    mail_server: str = ""  # host:port it went through

    @property
    def exit_code(self) -> int:
        if not self.ok:
            return EXIT_FAILED
        return EXIT_MAIL if self.mail_error else EXIT_OK


# ---------------------------------------------------------------------------------------------------------
# Inside a notebook


# ---------------------------------------------------------------------------------------------------------
# Input checks (all before any work)


def profile_name(profile: str | None) -> str:
    """The profile a run uses: the argument, $ODNB_PROFILE, the config's default, else ``demo``."""
    from odnb.api import profiles

    data = profiles.read_config()
    name = profile or os.environ.get("ODNB_PROFILE") or data.get("default") or profiles.DEMO_PROFILE
    known = [profiles.DEMO_PROFILE, *profiles.profile_names(data)]
    if name not in known:
        raise ReportError(f"No profile named {name!r} (known: {', '.join(known)}).",
                          f"Create it with: odnb config add {name} ... or pick one with --profile.")
    try:  # keys, URL, mode and tier now, in this process: not as a traceback inside the kernel
        profiles.check_profile(name)
    except profiles.ConfigError as exc:
        raise ReportError(f"Profile {name!r} cannot be used: {exc.what}", exc.fix) from None
    return name


def output_dir(out_dir: Path | None, profile: str) -> Path:
    """Where a run writes: ``out_dir`` as it is when it exists (odnb does not change the permissions of a
    folder it did not make; the files are 0600), else created private (0700); default the profile's
    private report folder."""
    from odnb import paths

    if out_dir is None:
        return paths.reports_dir(profile)
    out = Path(out_dir).expanduser()
    if out.exists() and not out.is_dir():
        raise ReportError(f"--out {out} is a file, not a folder.",
                          "Give a folder (it is created if missing).")
    if out.is_dir() and not os.access(out, os.W_OK | os.X_OK):
        raise ReportError(f"--out {out} is not writable by you.", "Pick a folder you can write to.")
    return paths.given_dir(out)


def check_kernel() -> str:
    """The kernel name to run notebooks with, after checking it starts this very interpreter."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    fix = f"Run: {sys.executable} -m ipykernel install --sys-prefix --name {KERNEL_NAME}"
    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    except NoSuchKernel:
        raise ReportError(f"No Jupyter kernel named {KERNEL_NAME!r} is installed.", fix) from None
    argv0 = spec.argv[0] if spec.argv else ""
    same = argv0 in {"python", "python3", f"python{sys.version_info[0]}.{sys.version_info[1]}"} or (
        Path(argv0).parent == Path(sys.executable).parent)
    if not same:
        raise ReportError(f"The {KERNEL_NAME!r} kernel runs {argv0}, not this odnb's Python "
                          f"({sys.executable}), so notebooks would not see this odnb.", fix)
    return KERNEL_NAME


# ---------------------------------------------------------------------------------------------------------
# Running


def _kernel_manager_class(socket_dir: Path) -> Any:
    """A kernel manager that talks to the kernel over Unix sockets in ``socket_dir`` (0700) instead of
    loopback TCP: no port other local users could reach, and no ipykernel warning "Kernel is running
    over TCP without encryption" on every run. Windows has no IPC transport: None (TCP, the default)."""
    if os.name != "posix":
        return None
    from jupyter_client.manager import AsyncKernelManager

    class PrivateKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs: Any) -> None:
            kwargs.setdefault("transport", "ipc")
            kwargs.setdefault("ip", str(socket_dir / "kernel"))
            super().__init__(**kwargs)

    return PrivateKernelManager


@contextlib.contextmanager
def _run_environment(profile: str) -> Iterator[None]:
    """Kernel environment (static charts, no progress bars, the profile) and a private umask, restored
    afterwards."""
    saved = {k: os.environ.get(k) for k in (STATIC_CHARTS_ENV, "ODNB_PROFILE", "ODNB_PROGRESS")}
    os.environ[STATIC_CHARTS_ENV] = "1"
    os.environ["ODNB_PROFILE"] = profile
    os.environ["ODNB_PROGRESS"] = "0"  # no progress bars or widgets in a rendered report
    old_umask = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old_umask)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _stamped(out_dir: Path, name: str, now: datetime) -> Path:
    """``out_dir/<name>-<YYYYmmdd-HHMMSS>`` (suffix -2, -3... if that stamp is taken); add the extension."""
    base = f"{name}-{now:%Y%m%d-%H%M%S}"
    stem, n = base, 1
    while True:
        if not any((out_dir / f"{stem}{ext}").exists() for ext in (".html", ".kpis.json")):
            try:  # claim the stem: another run starting in the same second picks the next one
                os.close(os.open(out_dir / f"{stem}.ipynb", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
                return out_dir / stem
            except FileExistsError:
                pass
        n += 1
        stem = f"{base}-{n}"


def _with_report_setup(source_nb: Any) -> Any:
    """A copy of the notebook with odnb's hidden first cell: every chart becomes a PNG image, in the house
    look, whether or not the notebook calls ``use_house_theme()``."""
    import nbformat

    from odnb.reports.charts import REPORT_SETUP_SOURCE

    nb = copy.deepcopy(source_nb)
    cell = nbformat.v4.new_code_cell(REPORT_SETUP_SOURCE, id="odnb-report-setup")
    cell.metadata["tags"] = ["odnb-hide"]
    cell.metadata["jupyter"] = {"source_hidden": True}
    nb.cells.insert(0, cell)
    return nb


def _failure(source_nb: Any, executed_nb: Any, exc: Exception) -> CellFailure | None:
    """Locate the failing cell by its id (indexes shift with the injected parameters cell)."""
    failed = None
    for cell in executed_nb.cells:
        if cell.cell_type == "code" and any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            failed = cell
    if failed is None:
        return None
    ids = [c.get("id") for c in source_nb.cells]
    index = ids.index(failed.get("id")) + 1 if failed.get("id") in ids else 0
    first = next((ln.strip() for ln in failed.source.splitlines() if ln.strip()), "")
    error = next(o for o in failed.outputs if o.get("output_type") == "error")
    return CellFailure(index=index, total=len(source_nb.cells), cell_id=str(failed.get("id", "")),
                       tags=tuple(failed.metadata.get("tags", [])), first_line=first[:80],
                       ename=str(getattr(exc, "ename", None) or error.get("ename", type(exc).__name__)),
                       evalue=str(getattr(exc, "evalue", None) or error.get("evalue", "")))


def run_report(notebook: str | Path, *, profile: str | None = None, parameters: dict | None = None,
               out_dir: Path | None = None, email: list[str] | None = None,
               mail_settings: Any = None, ssl_context: Any = None) -> ReportResult:
    """Execute ``notebook`` for ``profile`` and write the .ipynb, .html and .kpis.json files.

    Raises :class:`ReportError` for bad input (before running). A failing notebook does not raise: the
    result has ``ok=False``, ``failure`` names the cell, and the partial notebook is kept.
    With ``email``, the report (or a PHI-free failure notice) is sent; mail problems land in
    ``mail_error`` and never remove the files.

    Example:
        >>> r = run_report("practice_kpis", profile="demo",
        ...                parameters={"start": "2026-10-01", "end": "2026-10-31"})  # doctest: +SKIP
        >>> r.ok, r.html_path.name                                            # doctest: +SKIP
        (True, 'practice_kpis-20261124-070000.html')
    """
    import nbformat
    import papermill

    from odnb.api import profiles

    path = resolve_notebook(notebook)
    name = path.stem
    pname = profile_name(profile)
    if email:
        from odnb.reports.mail import MailError, check_recipients

        try:
            email = check_recipients(email)
        except MailError as exc:
            raise ReportError(str(exc)) from None
    params = dict(parameters or {})
    try:
        source_nb = nbformat.read(path, as_version=4)
        declared = papermill.inspect_notebook(str(path))
    except Exception as exc:
        raise ReportError(f"Cannot read notebook {path}: {type(exc).__name__}: {exc}",
                          "Check it opens in Jupyter.") from None
    check_parameters(params, declared)
    if email:
        refuse_patient_email(path, source_nb)
    if "profile" in declared or not declared:
        params.setdefault("profile", pname)
    if email and mail_settings is None:
        mail_settings = profiles.load_mail_settings()
        if mail_settings is None:
            raise ReportError(f"--email needs a [mail] section in {profiles.config_path()}.",
                              'Add [mail] host = "smtp.example.com", port = 587, security = "starttls", '
                              'user = "...", sender = "reports@example.com"; the password from '
                              "ODNB_SMTP_PASSWORD, password_env or password_keyring.")
    kernel = check_kernel()
    out = output_dir(out_dir, pname)

    started = datetime.now()
    stem = _stamped(out, name, started)
    nb_path = stem.with_name(stem.name + ".ipynb")
    result = ReportResult(nb_path, None, None, ok=False, name=name, profile=pname, started_at=started,
                          title=notebook_title(source_nb, name),
                          lists_patients=lists_patients(path, source_nb))
    with _run_environment(pname), tempfile.TemporaryDirectory(prefix="odnb-kernel-") as sockets:
        engine: dict[str, Any] = {}
        manager = _kernel_manager_class(Path(sockets))
        if manager is not None:
            engine["kernel_manager_class"] = manager
        try:
            papermill.execute_notebook(_with_report_setup(source_nb), str(nb_path), parameters=params,
                                       kernel_name=kernel,
                                       progress_bar=False, cwd=str(path.parent), **engine)
        except Exception as exc:  # a cell raised, the kernel died, or papermill refused
            if nb_path.exists() and nb_path.stat().st_size == 0:  # only our claim on the name: nothing ran
                nb_path.unlink()
            try:
                executed = nbformat.read(nb_path, as_version=4) if nb_path.exists() else None
            except Exception:  # a notebook cut off mid-write: keep it, name no cell
                executed = None
            result.failure = _failure(source_nb, executed, exc) if executed is not None else None
            what = (result.failure.describe() if result.failure
                    else f"{type(exc).__name__}: {_first_line(exc)}")
            kept = f" The partial notebook is kept at {nb_path}." if nb_path.exists() else ""
            result.error = f"Report {name} for {pname} failed in {what}.{kept}"
            result.notebook_path = nb_path if nb_path.exists() else None
    if result.notebook_path and result.notebook_path.exists():
        result.notebook_path.chmod(0o600)
    if result.error is None:
        try:
            _write_outputs(result, nb_path, stem)
        except Exception as exc:  # rendering or a malformed kpis payload: the executed notebook stays
            result.error = (f"Report {name} for {pname} ran, but writing its HTML/kpis failed: "
                            f"{type(exc).__name__}: {_first_line(exc)}. The notebook is kept at {nb_path}.")
    if email:
        from odnb.reports import mail

        try:
            if result.ok:
                mail.send_report(result, email, mail_settings, ssl_context=ssl_context)
            else:
                mail.send_failure_notice(result, email, mail_settings, ssl_context=ssl_context)
            result.recipients = tuple(email)
            result.mail_server = f"{mail_settings.host}:{mail_settings.port}"
        except mail.MailError as exc:
            result.mail_error = str(exc)
    return result


def _write_outputs(result: ReportResult, nb_path: Path, stem: Path) -> None:
    """Render the executed notebook to HTML and write its kpis.json (both atomically, 0600)."""
    import nbformat

    from odnb import paths

    name, pname, started = result.name, result.profile, result.started_at
    executed = nbformat.read(nb_path, as_version=4)
    html_path = stem.with_name(stem.name + ".html")
    page = render_html(executed, title=f"{result.title or name} — {pname}",
                       lists_patients=result.lists_patients)
    paths.write_private_file(html_path, page.encode())
    payload = extract_kpis(executed) or {"profile": pname, "period": {"start": None, "end": None},
                                         "kpis": {}, "reasons": {}}
    payload = {**payload, "notebook": name, "generated_at": started.isoformat(timespec="seconds"),
               "report": html_path.name}
    payload["profile"] = payload.get("profile") or pname
    kpis_path = stem.with_name(stem.name + ".kpis.json")
    paths.write_private_file(kpis_path, (json.dumps(payload, indent=2) + "\n").encode())
    result.html_path, result.kpis_path, result.kpis, result.ok = html_path, kpis_path, payload, True


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else ""


# ---------------------------------------------------------------------------------------------------------
# HTML


# ---------------------------------------------------------------------------------------------------------
# Formatting figures (email text, roll-up tables)


# ---------------------------------------------------------------------------------------------------------
# CLI


def register(subparsers: Any) -> None:
    """``odnb report NOTEBOOK [--profile P] [-p KEY=VALUE ...] [--out DIR] [--email ADDR ...]``."""
    parser = subparsers.add_parser(
        "report", help="run a notebook and render an email-safe HTML report",
        description="Run a curated notebook (by name) or any notebook path with papermill and render it to "
                    "self-contained HTML. Relative dates work as values: -p period='last month', "
                    "-p end=yesterday. Profile, parameters, recipients and [mail] are checked before the "
                    "notebook starts.",
        epilog="Example: odnb report practice_kpis --profile demo -p period='last month' "
               "--email owner@example.com")
    parser.add_argument("notebook", help=f"curated name ({', '.join(curated_notebooks()) or 'none yet'}) "
                                         "or path of an .ipynb file")
    parser.add_argument("--profile", help="practice profile (default: $ODNB_PROFILE, config default, demo)")
    parser.add_argument("-p", "--parameter", action="append", metavar="KEY=VALUE",
                        help="notebook parameter, e.g. -p period='last month' (repeatable; JSON values "
                             "parsed: 3, true; else text)")
    parser.add_argument("--out", type=Path, help="output folder (default: $ODNB_REPORTS_DIR/<profile>; an "
                                                  "existing folder keeps its permissions, a new one is 0700)")
    parser.add_argument("--email", action="append", metavar="ADDR",
                        help="mail the report to ADDR (repeatable, or comma-separated; needs [mail] in the "
                             "config)")
    parser.add_argument("--sync", action="store_true",
                        help="sync the practice's local store first (odnb sync), so the report reads it")
    parser.set_defaults(func=_cmd_report, explain_extra=_explain_extra)


def _explain_extra(extra: list[str], args: argparse.Namespace) -> str | None:
    """Why argparse found words it did not expect: the old ``-p NAME VALUE`` form."""
    old = [p for p in (args.parameter or []) if "=" not in p]
    if old:
        return (f"-p takes KEY=VALUE: write -p {old[0]}=VALUE, e.g. -p period='last month' (odnb report "
                "no longer takes -p NAME VALUE)")
    return None


def sync_before_report(profile: str | None) -> str | None:
    """``odnb report --sync``: bring the profile's store up to date; the one-line error, or None."""
    from odnb.store.many import sync_profiles

    result = sync_profiles([profile])[0]
    if result.error:
        return result.error
    print(f"odnb report: store synced ({result.kind}, {result.requests} requests, as of {result.as_of})",
          file=sys.stderr)
    return None


def _cmd_report(args: argparse.Namespace) -> int:
    from odnb.api.errors import InputError
    from odnb.periods import PeriodError, expand_parameters

    try:
        params = expand_parameters(parse_parameters(args.parameter))
        if getattr(args, "sync", False):
            failed = sync_before_report(args.profile)
            if failed:  # the report still runs: source="auto" falls back to the API if the store is stale
                print(f"odnb report: the store could not be synced: {failed}", file=sys.stderr)
        result = run_report(args.notebook, profile=args.profile, parameters=params, out_dir=args.out,
                            email=args.email)
    except (ReportError, PeriodError, InputError) as exc:
        print(f"odnb report: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not result.ok:
        print(f"odnb report: {result.error}", file=sys.stderr)
    if result.mail_error:
        print(f"odnb report: the mail was not sent: {result.mail_error} The report files are kept.",
              file=sys.stderr)
    if result.ok:
        print(result.kpis_path)
        print(result.notebook_path)
        print(result.html_path)
        print(f"odnb report: {result.name} for {result.profile} written to {result.html_path.parent}",
              file=sys.stderr)
    if result.recipients:
        what = "the report" if result.ok else "a failure notice (no report content)"
        print(f"odnb report: mailed {what} to {', '.join(result.recipients)} via {result.mail_server}",
              file=sys.stderr)
    return result.exit_code
