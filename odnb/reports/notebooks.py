"""Curated notebooks and the checks made on a report's input before any work: names, parameters,
notebooks that list patients.

Example:
    >>> parse_parameters(["months=3", "provider=Dr A"])
    {'months': 3, 'provider': 'Dr A'}
    >>> secret_like("customer_key"), secret_like("start")
    (True, False)
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from odnb.failures import ODError

CURATED_DIR = Path(__file__).resolve().parent.parent / "notebooks"
# Curated notebooks that list patients by name (any notebook can say so with metadata odnb.lists_patients):
# never emailed, and their HTML carries a banner saying so.
LISTS_PATIENTS = frozenset({"morning_huddle"})

# Parameter names that look like credentials: secrets come from the environment, config or keyring.
SECRET_WORDS = frozenset({"key", "keys", "apikey", "password", "passwd", "pwd", "pass", "passphrase",
                          "token", "secret", "secrets", "credential", "credentials", "auth"})


class ReportError(ODError):
    """Bad input found before any work: the message says what is wrong, ``fix`` how to put it right."""

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.args[0]} {self.fix}".strip()


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


def parse_parameters(items: list[str] | None) -> dict[str, Any]:
    """``-p KEY=VALUE`` items (as ``odnb get`` takes them): values parsed as JSON when they are JSON (3,
    true, [1,2]), else text. The old ``-p NAME VALUE`` form is refused with the new spelling.

    >>> parse_parameters(["period=last month", "visits_per_day=12"])
    {'period': 'last month', 'visits_per_day': 12}
    """
    params: dict[str, Any] = {}
    for item in items or []:
        name, sep, raw = item.partition("=")
        if not sep or not name.strip():
            raise ReportError(f"-p {item!r} is not KEY=VALUE.",
                              f"Write -p {item.strip() or 'name'}=VALUE, e.g. -p period='last month' or "
                              "-p start=2026-10-01 (odnb report no longer takes -p NAME VALUE).")
        try:
            params[name.strip()] = json.loads(raw)
        except ValueError:
            params[name.strip()] = raw
    return params


def check_parameters(params: Mapping[str, Any], declared: Mapping[str, Any] | None = None) -> None:
    """Refuse secret-looking and (when the notebook declares its parameters) unknown parameter names."""
    for name in params:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ReportError(f"Parameter name {name!r} is not a Python identifier.",
                              "Use letters, digits and underscores, e.g. -p start=2026-10-01.")
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
