"""Run a notebook with papermill and turn it into a self-contained, email-safe HTML report.

``odnb report practice_kpis --profile demo -p period "last month"`` executes the curated notebook (or any
notebook path) in a fresh kernel, then writes three files into the practice's private report folder
(``$ODNB_REPORTS_DIR/<profile>``, 0700; files 0600)::

    practice_kpis-20261124-070000.ipynb      the executed notebook (kept, even partial, when a cell fails)
    practice_kpis-20261124-070000.html       no code, no JavaScript, charts as inline PNG, inline styles
    practice_kpis-20261124-070000.kpis.json  the headline figures the notebook handed to publish_kpis()

Inside a notebook, hand the headline figures to the runner with :func:`publish_kpis`.

Curated notebooks are looked up in the repository's ``notebooks/`` folder (next to the ``odnb`` package),
so curated names work from a source checkout / editable install; with a wheel install pass the path.

Example:
    >>> parse_parameter_pairs([["months", "3"], ["provider", "Dr A"]])
    {'months': 3, 'provider': 'Dr A'}
    >>> secret_like("customer_key"), secret_like("start")
    (True, False)
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import html
import json
import math
import os
import re
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from odnb.kpi_catalog import KINDS, KPI_KEYS, LABELS

KPI_MIMETYPE = "application/vnd.odnb.kpis+json"
CURATED_DIR = Path(__file__).resolve().parent.parent / "notebooks"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "odnb_email"
KERNEL_NAME = "python3"
STATIC_CHARTS_ENV = "ODNB_STATIC_CHARTS"
# odnb.theme renders static charts at this scale (sharp on high-DPI screens); the report shows them at
# their designed size, never wider than the column.
CHART_SCALE = 1.5
MAX_IMAGE_WIDTH = 648  # px: the 680 px column less its padding; common email width is 600-700 px
# Curated notebooks that list patients by name (any notebook can say so with metadata odnb.lists_patients):
# never emailed, and their HTML carries a banner saying so.
LISTS_PATIENTS = frozenset({"morning_huddle"})

# Parameter names that look like credentials: secrets come from the environment, config or keyring.
SECRET_WORDS = frozenset({"key", "keys", "apikey", "password", "passwd", "pwd", "pass", "passphrase",
                          "token", "secret", "secrets", "credential", "credentials", "auth"})
# Cells never shown in a report (papermill's parameter/error cells, and cells the author hides).
HIDDEN_TAGS = frozenset({"parameters", "injected-parameters", "papermill-error-cell-tag", "remove-cell",
                         "odnb-hide"})

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_MAIL = 0, 1, 2, 3


class ReportError(Exception):
    """Bad input found before any work: the message says what is wrong, ``fix`` how to put it right."""

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.args[0]} {self.fix}".strip()


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

    @property
    def exit_code(self) -> int:
        if not self.ok:
            return EXIT_FAILED
        return EXIT_MAIL if self.mail_error else EXIT_OK


# ---------------------------------------------------------------------------------------------------------
# Inside a notebook


def _number(key: str, value: Any) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError(f"KPI {key!r} is a boolean; publish a number or None")
    try:
        number = float(value)
    except (TypeError, ValueError):
        if str(value) in ("<NA>", "NaT", "nan"):
            return None
        raise TypeError(f"KPI {key!r} is {type(value).__name__}, not a number (or None)") from None
    if math.isnan(number) or math.isinf(number):
        return None
    return int(number) if number.is_integer() and KINDS.get(key) == "count" else number


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "date") and callable(value.date):  # pandas Timestamp
        return value.date().isoformat()
    return date.fromisoformat(str(value)[:10]).isoformat()


def kpi_payload(values: Any, *, start: Any = None, end: Any = None, profile: str | None = None,
                reasons: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The JSON document :func:`publish_kpis` hands to the runner (also accepts a Scorecard-like object).

    Example:
        >>> kpi_payload({"new_patients": 12.0}, start="2026-10-01", end="2026-10-31", profile="demo")["kpis"]
        {'new_patients': 12}
    """
    if hasattr(values, "to_dict") and not isinstance(values, Mapping):
        card = values.to_dict()
        values = card.get("values", {})
        reasons = reasons if reasons is not None else card.get("reasons")
        start = start if start is not None else card.get("start")
        end = end if end is not None else card.get("end")
        profile = profile if profile is not None else card.get("profile")
    kpis = {str(k): _number(str(k), v) for k, v in dict(values).items()}
    return {
        "profile": profile,
        "period": {"start": _iso(start), "end": _iso(end)},
        "kpis": kpis,
        "reasons": {str(k): str(v) for k, v in dict(reasons or {}).items()},
    }


def publish_kpis(values: Any, *, start: Any = None, end: Any = None, profile: str | None = None,
                 reasons: Mapping[str, str] | None = None) -> None:
    """Hand a notebook's headline figures to ``odnb report`` (written to ``<name>-<stamp>.kpis.json``).

    Shows a one-line summary in Jupyter; the HTML report shows nothing for it.

    Example (in a notebook cell):
        publish_kpis({"gross_production": 81234.5, "collection_ratio": 0.97}, start=start, end=end,
                     profile=profile)
    """
    from IPython.display import display

    payload = kpi_payload(values, start=start, end=end, profile=profile, reasons=reasons)
    period = payload["period"]
    summary = f"KPIs published: {len(payload['kpis'])} values, {period['start']} to {period['end']}"
    display({KPI_MIMETYPE: payload, "text/plain": summary}, raw=True)


# ---------------------------------------------------------------------------------------------------------
# Input checks (all before any work)


def curated_notebooks() -> list[str]:
    """Names of the curated notebooks in the repository's notebooks/ folder."""
    return sorted(p.stem for p in CURATED_DIR.glob("*.ipynb")) if CURATED_DIR.is_dir() else []


def resolve_notebook(notebook: str | Path) -> Path:
    """A notebook path, or a curated name ("practice_kpis" / "practice_kpis.ipynb")."""
    path = Path(notebook).expanduser()
    if path.is_file():
        return path.resolve()
    name = path.name[:-6] if path.name.endswith(".ipynb") else path.name
    if str(path.parent) == "." and (CURATED_DIR / f"{name}.ipynb").is_file():
        return CURATED_DIR / f"{name}.ipynb"
    curated = ", ".join(curated_notebooks()) or f"none found in {CURATED_DIR}"
    raise ReportError(f"No notebook {str(notebook)!r}: it is neither a file nor a curated notebook "
                      f"(curated: {curated}).", "Give a curated name or the path of an .ipynb file.")


def secret_like(name: str) -> bool:
    """True for parameter names that look like credentials (api_key, smtp_password, token...)."""
    lowered = name.lower()
    words = {w.lower() for w in re.split(r"[^A-Za-z0-9]+|(?<=[a-z])(?=[A-Z0-9])", name)} | {lowered}
    return bool(words & SECRET_WORDS) or any(w in lowered for w in ("password", "apikey", "secret", "token"))


def parse_parameter_pairs(pairs: list[list[str]] | None) -> dict[str, Any]:
    """``-p name value`` pairs: values parsed as JSON when they are JSON (3, true, [1,2]), else text."""
    params: dict[str, Any] = {}
    for name, raw in pairs or []:
        try:
            params[name] = json.loads(raw)
        except ValueError:
            params[name] = raw
    return params


def check_parameters(params: Mapping[str, Any], declared: Mapping[str, Any] | None = None) -> None:
    """Refuse secret-looking and (when the notebook declares its parameters) unknown parameter names."""
    for name in params:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ReportError(f"Parameter name {name!r} is not a Python identifier.",
                              "Use letters, digits and underscores, e.g. -p start 2026-10-01.")
        if secret_like(name):
            raise ReportError(
                f"Refusing parameter {name!r}: it looks like a secret, and parameters are written into the "
                "executed notebook.",
                "Keys and passwords come from the environment, the config file or the OS keyring "
                "(odnb config add ...), never from -p.")
    if declared:
        unknown = [n for n in params if n not in declared]
        if unknown:
            raise ReportError(f"The notebook has no parameter {', '.join(map(repr, unknown))}.",
                              f"Its parameters are: {', '.join(declared)}.")


def lists_patients(path: Path, nb: Any = None) -> bool:
    """True for notebooks that list patients by name (the morning huddle, or metadata
    ``{"odnb": {"lists_patients": true}}``): their reports stay inside the office, never in email."""
    meta = (nb.metadata.get("odnb") or {}) if nb is not None else {}
    return bool(meta.get("lists_patients")) or Path(path).stem in LISTS_PATIENTS


def refuse_patient_email(path: Path, nb: Any = None) -> None:
    """ReportError when ``path`` lists patients: checked before any run that would mail it."""
    if lists_patients(path, nb):
        raise ReportError(f"{Path(path).stem} lists patients by name, so odnb does not email it.",
                          "Run it without --email (or drop email from the job) and open the HTML inside the "
                          "office.")


def notebook_title(nb: Any, fallback: str) -> str:
    """The notebook's first markdown heading ("Practice KPIs"), else the file name made readable."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if m := re.match(r"#{1,3}\s+(.+?)\s*#*\s*$", line):
                    return re.sub(r"[*_`]", "", m.group(1)).strip()
    return fallback.replace("_", " ").strip().capitalize()


def profile_name(profile: str | None) -> str:
    """The profile a run uses: the argument, $ODNB_PROFILE, the config's default, else ``demo``."""
    from odnb import config

    data = config.read_config()
    name = profile or os.environ.get("ODNB_PROFILE") or data.get("default") or config.DEMO_PROFILE
    known = [config.DEMO_PROFILE, *config.profile_names(data)]
    if name not in known:
        raise ReportError(f"No profile named {name!r} (known: {', '.join(known)}).",
                          f"Create it with: odnb config add {name} ... or pick one with --profile.")
    return name


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


def extract_kpis(nb: Any) -> dict[str, Any] | None:
    """The last payload a notebook published with :func:`publish_kpis`, or None."""
    found = None
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if KPI_MIMETYPE in data:
                found = data[KPI_MIMETYPE]
                if isinstance(found, str):
                    found = json.loads(found)
    return dict(found) if found is not None else None


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

    from odnb import config

    path = resolve_notebook(notebook)
    name = path.stem
    pname = profile_name(profile)
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
        mail_settings = config.load_mail_settings()
        if mail_settings is None:
            raise ReportError(f"--email needs a [mail] section in {config.config_path()}.",
                              'Add [mail] host = "smtp.example.com", port = 587, security = "starttls", '
                              'user = "...", sender = "reports@example.com"; the password from '
                              "ODNB_SMTP_PASSWORD, password_env or password_keyring.")
    kernel = check_kernel()
    out = config.private_dir(Path(out_dir).expanduser()) if out_dir else config.reports_dir(pname)

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
            papermill.execute_notebook(str(path), str(nb_path), parameters=params, kernel_name=kernel,
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
        from odnb import mail

        try:
            if result.ok:
                mail.send_report(result, email, mail_settings, ssl_context=ssl_context)
            else:
                mail.send_failure_notice(result, email, mail_settings, ssl_context=ssl_context)
        except mail.MailError as exc:
            result.mail_error = str(exc)
    return result


def _write_outputs(result: ReportResult, nb_path: Path, stem: Path) -> None:
    """Render the executed notebook to HTML and write its kpis.json (both atomically, 0600)."""
    import nbformat

    from odnb import config

    name, pname, started = result.name, result.profile, result.started_at
    executed = nbformat.read(nb_path, as_version=4)
    html_path = stem.with_name(stem.name + ".html")
    page = render_html(executed, title=f"{result.title or name} — {pname}",
                       lists_patients=result.lists_patients)
    config.write_private_file(html_path, page.encode())
    payload = extract_kpis(executed) or {"profile": pname, "period": {"start": None, "end": None},
                                         "kpis": {}, "reasons": {}}
    payload = {**payload, "notebook": name, "generated_at": started.isoformat(timespec="seconds"),
               "report": html_path.name}
    payload["profile"] = payload.get("profile") or pname
    kpis_path = stem.with_name(stem.name + ".kpis.json")
    config.write_private_file(kpis_path, (json.dumps(payload, indent=2) + "\n").encode())
    result.html_path, result.kpis_path, result.kpis, result.ok = html_path, kpis_path, payload, True


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else ""


# ---------------------------------------------------------------------------------------------------------
# HTML


def _chosen_data(data: Mapping[str, Any]) -> dict[str, Any] | None:
    """One mimetype per output, email-safe: PNG/JPEG (Vega-Lite converted to PNG), HTML, markdown, text."""
    if "image/png" in data:  # text/plain kept only to tell an Altair chart (see image_width), then dropped
        return {"image/png": data["image/png"], **({"text/plain": data["text/plain"]} if "text/plain" in data
                                                   else {})}
    if "image/jpeg" in data:
        return {"image/jpeg": data["image/jpeg"]}
    vega = next((m for m in data if m.startswith("application/vnd.vegalite")), None)
    if vega:
        import base64

        import vl_convert

        png = vl_convert.vegalite_to_png(data[vega], scale=CHART_SCALE)
        return {"image/png": base64.b64encode(png).decode(), "text/plain": "alt.Chart(...)"}
    for mime in ("text/html", "text/markdown", "text/plain"):
        if mime in data:
            return {mime: data[mime]}
    return None


def image_width(data: Mapping[str, Any], metadata: Mapping[str, Any] | None = None) -> int | None:
    """The width (CSS px) to show a PNG at: an odnb/Altair chart at its designed size (pixels / CHART_SCALE),
    another image at its metadata width or pixel width; never wider than MAX_IMAGE_WIDTH.

    Example:
        >>> import base64, struct
        >>> png = b"\\x89PNG\\r\\n\\x1a\\n" + struct.pack(">I4sII", 13, b"IHDR", 651, 546)
        >>> image_width({"image/png": base64.b64encode(png).decode(), "text/plain": "alt.Chart(...)"})
        434
    """
    import base64
    import struct

    try:
        head = base64.b64decode(re.sub(r"\s", "", str(data["image/png"]))[:44])
        pixels = struct.unpack(">I", head[16:20])[0] if head[12:16] == b"IHDR" else None
    except (KeyError, ValueError, struct.error):
        return None
    if not pixels:
        return None
    declared = ((metadata or {}).get("image/png") or {}).get("width")
    if str(data.get("text/plain", "")).startswith("alt."):
        width = pixels / CHART_SCALE
    elif isinstance(declared, (int, float)) and declared > 0:
        width = declared
    else:
        width = pixels
    return int(min(round(width), MAX_IMAGE_WIDTH))


def clean_notebook(nb: Any) -> Any:
    """A copy of ``nb`` holding only what a report shows: markdown and code-cell outputs (no stderr,
    no errors, no kpis payload, one email-safe mimetype per output), hidden-tag cells removed."""
    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        if HIDDEN_TAGS & set(cell.metadata.get("tags", [])):
            continue
        if cell.cell_type == "code":
            outputs = []
            for output in cell.get("outputs", []):
                kind = output.get("output_type")
                if kind == "stream" and output.get("name") == "stdout":
                    outputs.append(output)
                elif kind in ("display_data", "execute_result") and KPI_MIMETYPE not in output.data:
                    data = _chosen_data(output["data"])
                    if data:
                        width = image_width(data, output.get("metadata")) if "image/png" in data else None
                        output["data"] = {k: v for k, v in data.items()
                                          if k != "text/plain" or len(data) == 1}
                        if width:
                            output.setdefault("metadata", {})["odnb_width"] = width
                        outputs.append(output)
            cell.outputs = outputs
            cell.source = ""
        cells.append(cell)
    nb.cells = cells
    return nb


# Inline styles for the few tags a report contains (email clients drop <style> blocks).
TAG_STYLES: dict[str, str] = {
    "h1": "font-size:22px;line-height:1.25;margin:20px 0 8px;color:#1f5f8b;font-weight:bold;",
    "h2": "font-size:18px;line-height:1.3;margin:18px 0 6px;color:#1f5f8b;font-weight:bold;",
    "h3": "font-size:15px;margin:14px 0 4px;color:#222222;font-weight:bold;",
    "h4": "font-size:14px;margin:12px 0 4px;color:#222222;font-weight:bold;",
    "p": "margin:6px 0;line-height:1.45;",
    "ul": "margin:6px 0 6px 20px;padding:0;",
    "ol": "margin:6px 0 6px 20px;padding:0;",
    "li": "margin:2px 0;line-height:1.4;",
    "blockquote": "margin:8px 0;padding:4px 12px;border-left:3px solid #cccccc;color:#555555;",
    "table": "border-collapse:collapse;margin:8px 0;font-size:13px;",
    "thead": "",
    "th": "padding:4px 8px;border-bottom:2px solid #999999;background:#f2f5f8;text-align:right;"
          "vertical-align:top;font-weight:bold;",
    "td": "padding:4px 8px;border-bottom:1px solid #e2e2e2;text-align:right;vertical-align:top;",
    "pre": "font-family:Menlo,Consolas,monospace;font-size:12px;white-space:pre-wrap;margin:6px 0;",
    "code": "font-family:Menlo,Consolas,monospace;font-size:12px;background:#f4f4f4;",
    "img": "max-width:100%;height:auto;display:block;margin:8px 0;border:0;",
    "a": "color:#1f5f8b;",
    "hr": "border:0;border-top:1px solid #dddddd;margin:16px 0;",
}
_UNSAFE = [
    re.compile(r"<script\b.*?</script\s*>", re.S | re.I),
    re.compile(r"<script\b[^>]*/?>", re.I),
    re.compile(r"<style\b.*?</style\s*>", re.S | re.I),
    re.compile(r"<link\b[^>]*>", re.I),
    re.compile(r"<iframe\b.*?</iframe\s*>", re.S | re.I),
    re.compile(r"<(object|embed|form|frameset|applet|svg)\b.*?</\1\s*>", re.S | re.I),
    re.compile(r"<(embed|base|frame|input)\b[^>]*>", re.I),
    re.compile(r"<meta\b[^>]*http-equiv[^>]*>", re.I),
    # remote images (tracking pixels, and mail clients block them anyway): the report is self-contained
    re.compile(r"<img\b[^>]*\bsrc\s*=\s*[\"']?\s*(https?:)?//[^>]*>", re.I),
    re.compile(r"<a class=\"anchor-link\"[^>]*>.*?</a>", re.S),
]
_TABLE_BORDER = re.compile(r'(<table\b[^>]*?)\s+border="1"', re.I)
_EVENT_ATTR = re.compile(r"\s+on[a-z]+\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)", re.I)
_REMOTE_URL = re.compile(r"url\(\s*['\"]?\s*(https?:)?//[^)]*\)", re.I)
_JS_URL = re.compile(r"(href|src)\s*=\s*([\"'])\s*javascript:[^\"']*\2", re.I)
_TAG = re.compile(r"<(" + "|".join(TAG_STYLES) + r")(\s[^<>]*?)?(/?)>", re.I)


def inline_styles(html: str) -> str:
    """Remove scripts, style blocks and external links; give each known tag its inline style.

    Example:
        >>> inline_styles('<style>p{}</style><p class="x">Hi</p><script>x()</script>')
        '<p style="margin:6px 0;line-height:1.45;" class="x">Hi</p>'
    """
    for pattern in _UNSAFE:
        html = pattern.sub("", html)
    html = _EVENT_ATTR.sub("", html)
    html = _REMOTE_URL.sub("none", html)
    html = _TABLE_BORDER.sub(r"\1", html)
    html = _JS_URL.sub(r'\1=\2#\2', html)

    def add(match: re.Match[str]) -> str:
        tag, attrs, close = match.group(1), match.group(2) or "", match.group(3)
        style = TAG_STYLES[tag.lower()]
        if not style:
            return match.group(0)
        existing = re.search(r"\sstyle\s*=\s*\"([^\"]*)\"", attrs)
        if existing:
            attrs = attrs.replace(existing.group(0), "")
            style += existing.group(1)
        return f'<{tag} style="{style}"{attrs}{close}>'

    return _TAG.sub(add, html)


_TABLE = re.compile(r"<table\b.*?</table\s*>", re.S | re.I)
_SECTION = re.compile(r"<(thead|tbody)\b[^>]*>(.*?)</\1\s*>", re.S | re.I)
_ROW = re.compile(r"<tr\b[^>]*>.*?</tr\s*>", re.S | re.I)
_CELL = re.compile(r"<(t[hd])\b([^>]*)>(.*?)</\1\s*>", re.S | re.I)
_NUMERIC = re.compile(r"[-+\u2212]?\s*[$€£]?\s*[-+\u2212]?\d[\d,]*(\.\d+)?\s*(%|pts?|ms|s|x)?", re.I)
_NEUTRAL = frozenset({"", "n/a", "na", "<na>", "nan", "none", "—", "-", "–"})


def _cell_text(cell: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()


def _tidy_table(table: str) -> str:
    """Merge pandas' separate index-name header row into the column-header row, and align each column:
    numbers right (not wrapped), text and row labels left. Columns are matched from the right, so the
    rowspans of a MultiIndex do not shift them."""
    sections = {m.group(1).lower(): m for m in _SECTION.finditer(table)}
    head_rows = _ROW.findall(sections["thead"].group(2)) if "thead" in sections else []
    body_rows = _ROW.findall(sections["tbody"].group(2)) if "tbody" in sections else _ROW.findall(table)
    cells = [[m.groups() for m in _CELL.finditer(row)] for row in body_rows]
    numeric: dict[int, bool] = {}
    for row in cells:
        for offset, (tag, _, inner) in enumerate(reversed(row)):
            text = _cell_text(inner).lower()
            if tag.lower() == "td":  # a column of only blanks / n/a counts as numbers (missing figures)
                is_number = text in _NEUTRAL or bool(_NUMERIC.fullmatch(text))
                numeric[offset] = numeric.get(offset, True) and is_number

    def aligned(row: str, header: bool) -> str:
        found = [m.groups() for m in _CELL.finditer(row)]
        out = []
        for offset, (tag, attrs, inner) in zip(range(len(found) - 1, -1, -1), found, strict=True):
            right = numeric.get(offset, False) and (header or tag.lower() == "td")
            style = "text-align:right;white-space:nowrap;" if right else "text-align:left;"
            out.append(f'<{tag} style="{style}"{attrs}>{inner}</{tag}>')
        return "<tr>" + "".join(out) + "</tr>"

    if len(head_rows) == 2:  # pandas puts the index name(s) on a row of their own: fold it into the first
        first, second = ([m.groups() for m in _CELL.finditer(r)] for r in head_rows)
        names = [_cell_text(c[2]) for c in second]
        k = next((i for i, n in enumerate(names) if not n), len(names))
        if (len(first) == len(second) and 0 < k < len(names) and not any(names[k:])
                and not any(_cell_text(c[2]) for c in first[:k])):
            head_rows = ["<tr>" + "".join(f"<th{a}>{i}</th>" for _, a, i in second[:k])
                         + "".join(f"<{t}{a}>{i}</{t}>" for t, a, i in first[k:]) + "</tr>"]
    new = table
    if "thead" in sections:
        m = sections["thead"]
        new = new.replace(m.group(0), "<thead>" + "".join(aligned(r, True) for r in head_rows) + "</thead>")
    if "tbody" in sections:
        m = sections["tbody"]
        new = new.replace(m.group(0), "<tbody>" + "".join(aligned(r, False) for r in body_rows) + "</tbody>")
    return new


def tidy_tables(page: str) -> str:
    """:func:`_tidy_table` over every table of ``page``.

    Example:
        >>> tidy_tables("<table><tbody><tr><th>a</th><td>$1.00</td><td>x</td></tr></tbody></table>")
        '<table><tbody><tr><th style="text-align:left;">a</th><td style="text-align:right;white-space:nowrap;">$1.00</td><td style="text-align:left;">x</td></tr></tbody></table>'
    """  # noqa: E501
    return _TABLE.sub(lambda m: _tidy_table(m.group(0)), page)


def render_html(nb: Any, *, title: str = "odnb report", lists_patients: bool = False) -> str:
    """Self-contained HTML for an executed notebook: no code, no JavaScript, inline PNG charts, tables
    aligned; ``lists_patients`` puts a banner at the top saying the report names patients."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name=TEMPLATE_NAME, extra_template_basedirs=[str(TEMPLATES_DIR)])
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.anchor_link_text = ""
    resources = {"metadata": {"name": title, "lists_patients": lists_patients}}
    body, _ = exporter.from_notebook_node(clean_notebook(nb), resources=resources)
    return inline_styles(tidy_tables(body))


# ---------------------------------------------------------------------------------------------------------
# Formatting figures (email text, roll-up tables)


def format_kpi(key: str, value: float | int | None) -> str:
    """``$81,234.50``, ``97.1%``, ``1,204``; "n/a" for None.

    Example:
        >>> format_kpi("collections", 81234.5), format_kpi("broken_rate", 0.0712), format_kpi("x", None)
        ('$81,234.50', '7.1%', 'n/a')
    """
    if value is None:
        return "n/a"
    kind = KINDS.get(key)
    if kind == "money":
        return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"
    if kind == "ratio":
        return f"{value * 100:.1f}%"
    if kind == "count" or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def kpi_label(key: str) -> str:
    """``gross_production`` -> ``Gross production``; ``writeoffs`` -> ``Insurance write-offs``."""
    return LABELS.get(key) or key.replace("_", " ").capitalize()


def ordered_kpi_keys(keys: Any) -> list[str]:
    """Catalogue order first, then any other keys alphabetically."""
    keys = set(keys)
    return [k for k in KPI_KEYS if k in keys] + sorted(keys - set(KPI_KEYS))


# ---------------------------------------------------------------------------------------------------------
# CLI


def register(subparsers: Any) -> None:
    """``odnb report NOTEBOOK [--profile P] [-p name value ...] [--out DIR] [--email ADDR ...]``."""
    parser = subparsers.add_parser(
        "report", help="run a notebook and render an email-safe HTML report",
        description="Run a curated notebook (by name) or any notebook path with papermill and render it to "
                    "self-contained HTML. Relative dates work as values: -p period 'last month', "
                    "-p end yesterday.")
    parser.add_argument("notebook", help=f"curated name ({', '.join(curated_notebooks()) or 'none yet'}) "
                                         "or path of an .ipynb file")
    parser.add_argument("--profile", help="practice profile (default: $ODNB_PROFILE, config default, demo)")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"),
                        help="notebook parameter (JSON values parsed: 3, true; else text)")
    parser.add_argument("--out", type=Path, help="output folder (default: $ODNB_REPORTS_DIR/<profile>)")
    parser.add_argument("--email", nargs="+", metavar="ADDR", help="mail the report (needs [mail] in config)")
    parser.set_defaults(func=_cmd_report)


def _cmd_report(args: argparse.Namespace) -> int:
    from odnb.errors import InputError
    from odnb.schedule import ScheduleError, expand_parameters

    try:
        params = expand_parameters(parse_parameter_pairs(args.parameter))
        result = run_report(args.notebook, profile=args.profile, parameters=params, out_dir=args.out,
                            email=args.email)
    except (ReportError, ScheduleError, InputError) as exc:
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
    return result.exit_code
