"""``PUT /queries/ShortQuery`` as an office's MySQL answers it, executed on the demo's SQLite file.

The SQL is parsed with sqlglot's MySQL dialect, so what MySQL refuses is refused here: a syntax error is a
400 with MySQL's wording, a function MySQL lacks (``strftime``, ``julianday``, ``IIF``) or a table the
office does not have (``sqlite_master``) is a 400, and anything that writes is a 401 -- except temporary
tables, which the docs allow. What MySQL accepts runs with MySQL's meaning: ``/`` is decimal division,
text compares case-insensitively, ``||`` is a logical OR, and MySQL's date and string functions
(``DATE_SUB(... INTERVAL 1 YEAR)``, ``LEFT``, ``LAST_DAY``, ``STR_TO_DATE``, ``TIMESTAMPDIFF``,
``GROUP_CONCAT(... SEPARATOR ...)``, ...) are Python functions registered on the connection. Result keys
are spelled as in the SELECT (``SELECT patnum`` answers ``patnum``).

Example:
    >>> import sqlite3
    >>> con = sqlite3.connect(":memory:")
    >>> con.execute("CREATE TABLE patient (PatNum INTEGER, LName TEXT)").fetchall()
    []
    >>> register(con, datetime.now)
    >>> run(con, "SELECT 5/2, 'moore' = 'Moore' AS same", {"patient"})
    (['5/2', 'same'], [(2.5, 1)])
"""

from __future__ import annotations

import calendar
import functools
import re
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import ClassVar

import sqlglot
from sqlglot import exp
from sqlglot.dialects.mysql import MySQL
from sqlglot.errors import ParseError, TokenError

# Functions sqlglot keeps typed (aggregates SQLite runs as MySQL does); every other call stays a plain
# call with its arguments in order, checked against FUNCTIONS below.
_TYPED = {"COUNT", "SUM", "AVG", "MIN", "MAX", "GROUP_CONCAT"}


class _OfficeMySQL(MySQL):
    class Parser(MySQL.Parser):
        FUNCTIONS: ClassVar[dict] = {k: v for k, v in MySQL.Parser.FUNCTIONS.items() if k in _TYPED}


class QueryError(Exception):
    """A ShortQuery refused: ``status`` 400 (MySQL error) or 401 (not read-only)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


NOT_READ_ONLY = "Query is not read-only."
_EXECUTABLE_COMMENT = re.compile(r"/\*!\d*(.*?)\*/", re.DOTALL)
_LITERALS = re.compile(r"'(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`", re.DOTALL)
_INTO_FILE = re.compile(r"\bINTO\s+(OUTFILE|DUMPFILE)\b|\bINTO\s+@", re.IGNORECASE)
_WRITE_WORDS = re.compile(
    r"\b(INSERT|UPDATE|DELETE|REPLACE|DROP|ALTER|TRUNCATE|GRANT|REVOKE|RENAME|LOAD|HANDLER|CALL)\b",
    re.IGNORECASE,
)
_STOP_WORDS = re.compile(
    r"\s+(FROM|AS|WHERE|GROUP|ORDER|LIMIT|HAVING|UNION|INTO|WINDOW)\b|\s*[,;)]", re.IGNORECASE
)


def syntax_error(sql: str, position: int, line: int) -> QueryError:
    near = sql[position:][:80]
    return QueryError(
        400,
        "Error executing query: You have an error in your SQL syntax; check the manual that corresponds to "
        f"your MySQL server version for the right syntax to use near '{near}' at line {line}",
    )


# --- MySQL functions in Python ---------------------------------------------------------------------------


def _moment(value: object) -> datetime | None:
    if value is None:
        return None
    text = str(value).strip()
    try:
        if len(text) >= 19:
            return datetime.fromisoformat(text[:19].replace("T", " "))
        if len(text) >= 10:
            return datetime.fromisoformat(text[:10])
    except ValueError:
        pass
    return None


def _has_time(value: object) -> bool:
    return isinstance(value, str) and len(value.strip()) >= 19


def _date_text(moment: datetime | None, with_time: bool = False) -> str | None:
    if moment is None:
        return None
    return moment.strftime("%Y-%m-%d %H:%M:%S") if with_time else moment.date().isoformat()


_FORMAT = {
    "%Y": "%Y", "%y": "%y", "%m": "%m", "%d": "%d", "%H": "%H", "%i": "%M", "%s": "%S", "%S": "%S",
    "%M": "%B", "%b": "%b", "%W": "%A", "%a": "%a", "%j": "%j", "%p": "%p", "%T": "%H:%M:%S", "%%": "%%",
    "%h": "%I", "%I": "%I", "%f": "%f",
}  # fmt: skip


def _py_format(fmt: str) -> str:
    return re.sub(r"%[a-zA-Z%]", lambda m: _FORMAT.get(m.group(0), m.group(0)), fmt)


def date_format(value: object, fmt: object) -> str | None:
    moment = _moment(value)
    if moment is None or fmt is None:
        return None
    out = _py_format(str(fmt)).replace("%c", str(moment.month)).replace("%e", str(moment.day))
    return moment.strftime(out)


def str_to_date(value: object, fmt: object) -> str | None:
    if value is None or fmt is None:
        return None
    pattern = str(fmt).replace("%c", "%m").replace("%e", "%d")
    try:
        moment = datetime.strptime(str(value), _py_format(pattern))
    except ValueError:
        return None
    return _date_text(moment, with_time=bool(re.search(r"%[HhIiSsTpf]", pattern)))


def _shift(moment: datetime, amount: float, unit: str) -> datetime:
    unit = unit.upper()
    n = int(amount)
    if unit in ("YEAR", "QUARTER", "MONTH"):
        months = n * {"YEAR": 12, "QUARTER": 3, "MONTH": 1}[unit]
        total = moment.year * 12 + moment.month - 1 + months
        year, month = divmod(total, 12)
        day = min(moment.day, calendar.monthrange(year, month + 1)[1])
        return moment.replace(year=year, month=month + 1, day=day)
    seconds = {"WEEK": 604800, "DAY": 86400, "HOUR": 3600, "MINUTE": 60, "SECOND": 1}.get(unit)
    if seconds is None:
        raise ValueError(f"unsupported INTERVAL unit {unit}")
    return moment + timedelta(seconds=amount * seconds)


def date_add(value: object, amount: object, unit: object = "DAY", sign: int = 1) -> str | None:
    moment = _moment(value)
    if moment is None or amount is None:
        return None
    shifted = _shift(moment, sign * float(amount), str(unit))  # type: ignore[arg-type]
    timed = _has_time(value) or str(unit).upper() in ("HOUR", "MINUTE", "SECOND")
    return _date_text(shifted, with_time=timed)


def timestampdiff(unit: object, a: object, b: object) -> int | None:
    start, end = _moment(a), _moment(b)
    if start is None or end is None:
        return None
    name = str(unit).upper()
    if name in ("YEAR", "QUARTER", "MONTH"):
        months = (end.year - start.year) * 12 + end.month - start.month
        if months > 0 and (end.day, end.time()) < (start.day, start.time()):
            months -= 1
        elif months < 0 and (end.day, end.time()) > (start.day, start.time()):
            months += 1
        return int(months / {"YEAR": 12, "QUARTER": 3, "MONTH": 1}[name])
    seconds = (end - start).total_seconds()
    size = {"WEEK": 604800, "DAY": 86400, "HOUR": 3600, "MINUTE": 60, "SECOND": 1}[name]
    return int(seconds / size)


def last_day(value: object) -> str | None:
    moment = _moment(value)
    if moment is None:
        return None
    return moment.date().replace(day=calendar.monthrange(moment.year, moment.month)[1]).isoformat()


def _part(attr: str) -> Callable[[object], int | None]:
    def get(value: object) -> int | None:
        moment = _moment(value)
        return getattr(moment, attr) if moment else None

    return get


def _on_date(fn: Callable[[datetime], int]) -> Callable[[object], int | None]:
    def get(value: object) -> int | None:
        moment = _moment(value)
        return fn(moment) if moment else None

    return get


def _text(fn: Callable[..., object]) -> Callable[..., object]:
    def call(*args: object) -> object:
        return None if any(a is None for a in args) else fn(*args)

    return call


def _substring(s: object, pos: object, length: object = None) -> str | None:
    if s is None or pos is None:
        return None
    text, p = str(s), int(pos)  # type: ignore[call-overload]
    if p == 0:
        return ""
    start = p - 1 if p > 0 else len(text) + p
    if start < 0:
        return ""
    return text[start:] if length is None else text[start : start + max(0, int(length))]  # type: ignore[call-overload]


def _locate(sub: object, s: object, pos: object = 1) -> int | None:
    if sub is None or s is None:
        return None
    return str(s).lower().find(str(sub).lower(), max(0, int(pos) - 1)) + 1  # type: ignore[call-overload]


def _format_number(x: object, d: object) -> str | None:
    if x is None or d is None:
        return None
    return f"{float(x):,.{max(0, int(d))}f}"  # type: ignore[arg-type,call-overload]


def functions(now: Callable[[], datetime]) -> dict[str, tuple[int, int, Callable[..., object]]]:
    """MySQL's functions the simulator knows: name -> (fewest args, most args, implementation)."""
    return {
        "IF": (3, 3, lambda c, a, b: a if c else b),
        "IFNULL": (2, 2, lambda a, b: b if a is None else a),
        "NULLIF": (2, 2, lambda a, b: None if a == b else a),
        "COALESCE": (1, 99, lambda *a: next((x for x in a if x is not None), None)),
        "ISNULL": (1, 1, lambda a: int(a is None)),
        "GREATEST": (2, 99, lambda *a: None if None in a else max(a)),
        "LEAST": (2, 99, lambda *a: None if None in a else min(a)),
        "CONCAT": (1, 99, lambda *a: None if None in a else "".join(_str(x) for x in a)),
        "CONCAT_WS": (2, 99, lambda sep, *a: None if sep is None else str(sep).join(
            _str(x) for x in a if x is not None)),
        "LEFT": (2, 2, _text(lambda s, n: str(s)[: max(0, int(n))])),
        "RIGHT": (2, 2, _text(lambda s, n: str(s)[len(str(s)) - max(0, int(n)) :])),
        "SUBSTRING": (2, 3, _substring),
        "SUBSTR": (2, 3, _substring),
        "MID": (3, 3, _substring),
        "LENGTH": (1, 1, _text(lambda s: len(_str(s).encode()))),
        "CHAR_LENGTH": (1, 1, _text(lambda s: len(_str(s)))),
        "UPPER": (1, 1, _text(lambda s: str(s).upper())),
        "UCASE": (1, 1, _text(lambda s: str(s).upper())),
        "LOWER": (1, 1, _text(lambda s: str(s).lower())),
        "LCASE": (1, 1, _text(lambda s: str(s).lower())),
        "LTRIM": (1, 1, _text(lambda s: str(s).lstrip(" "))),
        "RTRIM": (1, 1, _text(lambda s: str(s).rstrip(" "))),
        "REPLACE": (3, 3, _text(lambda s, a, b: str(s).replace(str(a), str(b)))),
        "REVERSE": (1, 1, _text(lambda s: str(s)[::-1])),
        "REPEAT": (2, 2, _text(lambda s, n: str(s) * max(0, int(n)))),
        "LPAD": (3, 3, _text(lambda s, n, p: (str(p) * int(n) + str(s))[-int(n):][: int(n)]
                             if len(str(s)) < int(n) else str(s)[: int(n)])),
        "RPAD": (3, 3, _text(lambda s, n, p: (str(s) + str(p) * int(n))[: int(n)])),
        "INSTR": (2, 2, lambda s, sub: _locate(sub, s)),
        "LOCATE": (2, 3, _locate),
        "FORMAT": (2, 2, _format_number),
        "ROUND": (1, 2, _round),
        "TRUNCATE": (2, 2, _text(lambda x, d: int(float(x) * 10 ** int(d)) / 10 ** int(d))),
        "ABS": (1, 1, _text(abs)),
        "FLOOR": (1, 1, _text(lambda x: int(float(x) // 1))),
        "CEIL": (1, 1, _text(lambda x: -int(-float(x) // 1))),
        "CEILING": (1, 1, _text(lambda x: -int(-float(x) // 1))),
        "MOD": (2, 2, _text(lambda a, b: None if b == 0 else _mod(a, b))),
        "SIGN": (1, 1, _text(lambda x: (x > 0) - (x < 0))),
        "POW": (2, 2, _text(lambda a, b: float(a) ** float(b))),
        "POWER": (2, 2, _text(lambda a, b: float(a) ** float(b))),
        "SQRT": (1, 1, _text(lambda x: float(x) ** 0.5 if x >= 0 else None)),
        "DATE": (1, 1, lambda v: _date_text(_moment(v))),
        "YEAR": (1, 1, _part("year")),
        "MONTH": (1, 1, _part("month")),
        "DAY": (1, 1, _part("day")),
        "DAYOFMONTH": (1, 1, _part("day")),
        "HOUR": (1, 1, _part("hour")),
        "MINUTE": (1, 1, _part("minute")),
        "SECOND": (1, 1, _part("second")),
        "QUARTER": (1, 1, _on_date(lambda m: (m.month - 1) // 3 + 1)),
        "DAYOFWEEK": (1, 1, _on_date(lambda m: (m.weekday() + 1) % 7 + 1)),
        "WEEKDAY": (1, 1, _on_date(lambda m: m.weekday())),
        "DAYOFYEAR": (1, 1, _on_date(lambda m: m.timetuple().tm_yday)),
        "TO_DAYS": (1, 1, _on_date(lambda m: m.toordinal() + 365)),
        "CURDATE": (0, 0, lambda: now().date().isoformat()),
        "CURRENT_DATE": (0, 0, lambda: now().date().isoformat()),
        "NOW": (0, 0, lambda: now().strftime("%Y-%m-%d %H:%M:%S")),
        "SYSDATE": (0, 0, lambda: now().strftime("%Y-%m-%d %H:%M:%S")),
        "CURRENT_TIMESTAMP": (0, 0, lambda: now().strftime("%Y-%m-%d %H:%M:%S")),
        "DATE_FORMAT": (2, 2, date_format),
        "STR_TO_DATE": (2, 2, str_to_date),
        "DATEDIFF": (2, 2, lambda a, b: _datediff(a, b)),
        "DATE_ADD": (3, 3, lambda v, n, u: date_add(v, n, u)),
        "ADDDATE": (3, 3, lambda v, n, u: date_add(v, n, u)),
        "DATE_SUB": (3, 3, lambda v, n, u: date_add(v, n, u, -1)),
        "SUBDATE": (3, 3, lambda v, n, u: date_add(v, n, u, -1)),
        "LAST_DAY": (1, 1, last_day),
        "TIMESTAMPDIFF": (3, 3, timestampdiff),
        "EXTRACT": (2, 2, lambda unit, v: _extract(unit, v)),
    }


def _str(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else str(value)
    return str(value)


def _round(x: object, d: object = 0) -> float | int | None:
    """MySQL's ROUND(x[, d]): halves away from zero, NULL for a NULL argument, an integer stays one when
    ``d`` <= 0. Called once per row in the scorecard's money sums, so it is one plain function."""
    if x is None or d is None:
        return None
    digits = int(d)  # type: ignore[call-overload]
    number = float(x)  # type: ignore[arg-type]
    value = int(abs(number) * 10**digits + 0.5 + 1e-9) / 10**digits
    value = -value if number < 0 else value
    return int(value) if digits <= 0 and isinstance(x, int) else value


def _mod(a: object, b: object) -> float:
    import math

    return math.fmod(a, b)  # type: ignore[arg-type]


def _datediff(a: object, b: object) -> int | None:
    da, db = _moment(a), _moment(b)
    return (da.date() - db.date()).days if da and db else None


def _extract(unit: object, value: object) -> int | None:
    moment = _moment(value)
    if moment is None:
        return None
    name = str(unit).upper()
    if name == "YEAR_MONTH":
        return moment.year * 100 + moment.month
    if name == "QUARTER":
        return (moment.month - 1) // 3 + 1
    return getattr(moment, name.lower(), None)


def register(con: sqlite3.Connection, now: Callable[[], datetime]) -> None:
    """Register every MySQL function as ``my_<name>`` on ``con``."""
    for name, (_, _, fn) in functions(now).items():
        con.create_function(f"my_{name.lower()}", -1, fn, deterministic=name not in _VOLATILE)
    con.create_aggregate("my_group_concat", -1, _GroupConcat)  # type: ignore[arg-type]
    con.create_function("my_divide", 2, divide, deterministic=True)


def divide(a: object, b: object) -> float | None:
    """MySQL's ``/``: NULL for division by zero; exact numbers get 4 more decimals (div_precision_increment),
    rounded half up, so ``5/2`` is 2.5000 and ``SUM(x = 5)/COUNT(*)`` is 0.0559; doubles divide as doubles."""
    if a is None or b is None or b == 0:
        return None
    if isinstance(a, int) and isinstance(b, int):
        return float((Decimal(a) / Decimal(b)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))
    return float(a) / float(b)  # type: ignore[arg-type]


_VOLATILE = {"CURDATE", "CURRENT_DATE", "NOW", "SYSDATE", "CURRENT_TIMESTAMP"}
_KNOWN = functions(datetime.now)


# --- parsing, screening and rewriting --------------------------------------------------------------------


def _unit(node: exp.Expression) -> str:
    if isinstance(node, exp.Var | exp.Column | exp.Identifier):
        return node.name.upper()
    if isinstance(node, exp.Literal):
        return str(node.this).upper()
    return node.sql().upper()


def _rewrite_call(node: exp.Anonymous, tables: set[str]) -> exp.Expression:
    name = str(node.this).upper()
    if name not in _KNOWN:
        raise QueryError(400, f"Error executing query: FUNCTION opendental.{node.this} does not exist")
    args = list(node.expressions)
    if name in ("TIMESTAMPDIFF",) and args:
        args[0] = exp.Literal.string(_unit(args[0]))
    if name in ("DATE_ADD", "ADDDATE", "DATE_SUB", "SUBDATE") and len(args) == 2:
        second = args[1]
        if isinstance(second, exp.Interval):
            args[1:] = [second.this, exp.Literal.string(_unit(second.args["unit"]))]
        else:
            args.append(exp.Literal.string("DAY"))
    low, high, _ = _KNOWN[name]
    if not low <= len(args) <= high:
        raise QueryError(
            400,
            f"Error executing query: Incorrect parameter count in the call to native function '{node.this}'",
        )
    return exp.Anonymous(this=f"my_{name.lower()}", expressions=args)


def _rewrite(tree: exp.Expression, tables: set[str], numeric: frozenset[str] = frozenset()) -> exp.Expression:
    """MySQL meaning on SQLite: calls to the registered functions, case-insensitive comparisons (text only:
    a comparison led by a ``numeric`` column keeps its index, as MySQL's would)."""
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}

    def visit(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and not node.args.get("db"):
            if node.name.lower() not in tables | ctes:
                raise QueryError(
                    400, f"Error executing query: Table 'opendental.{node.name}' doesn't exist"
                )
        elif isinstance(node, exp.Table):
            raise QueryError(400, f"Error executing query: Table '{node.sql('mysql')}' doesn't exist")
        if isinstance(node, exp.Anonymous):
            return _rewrite_call(node, tables)
        if isinstance(node, exp.CurrentDate):
            return exp.Anonymous(this="my_curdate", expressions=[])
        if isinstance(node, exp.CurrentTimestamp):
            return exp.Anonymous(this="my_now", expressions=[])
        if isinstance(node, exp.If) and not isinstance(node.parent, exp.Case):  # IF(), not a WHEN branch
            return exp.Anonymous(
                this="my_if",
                expressions=[node.this, node.args["true"], node.args.get("false") or exp.null()],
            )
        if isinstance(node, exp.Extract):
            return exp.Anonymous(
                this="my_extract", expressions=[exp.Literal.string(_unit(node.this)), node.expression]
            )
        if isinstance(node, exp.Add | exp.Sub) and isinstance(node.expression, exp.Interval):
            interval = node.expression
            name = "my_date_add" if isinstance(node, exp.Add) else "my_date_sub"
            unit = exp.Literal.string(_unit(interval.args["unit"]))
            return exp.Anonymous(this=name, expressions=[node.this, interval.this, unit])
        if isinstance(node, exp.Div):
            return exp.Anonymous(this="my_divide", expressions=[node.this, node.expression])
        if isinstance(node, exp.GroupConcat):
            return _group_concat(node)
        if isinstance(node, exp.Substring):
            args = [node.this, node.args.get("start") or exp.Literal.number(1)]
            if node.args.get("length"):
                args.append(node.args["length"])
            return exp.Anonymous(this="my_substring", expressions=args)
        compared = isinstance(node, _COMPARISONS) or (isinstance(node, exp.In) and not node.args.get("query"))
        if compared and not (isinstance(node.this, exp.Column) and node.this.name.lower() in numeric):
            node.set("this", _nocase(node.this))
        return node

    nodes = list(tree.walk(bfs=False))
    for node in reversed(nodes):  # children first, so nested calls are rewritten too
        new = visit(node)
        if new is not node:
            if node is tree:
                tree = new
            else:
                node.replace(new)
    return tree


def _group_concat(node: exp.GroupConcat) -> exp.Expression:
    """``GROUP_CONCAT([DISTINCT] x [ORDER BY k [DESC], ...] [SEPARATOR s])`` as the Python aggregate."""
    value, order = node.this, []
    if isinstance(value, exp.Order):
        order = value.expressions
        value = value.this
    distinct = isinstance(value, exp.Distinct)
    if distinct:
        value = value.expressions[0]
    args = [value, node.args.get("separator") or exp.Literal.string(","), exp.Literal.number(int(distinct))]
    for ordered in order:
        args += [ordered.this, exp.Literal.number(int(bool(ordered.args.get("desc"))))]
    return exp.Anonymous(this="my_group_concat", expressions=args)


class _GroupConcat:
    """MySQL's GROUP_CONCAT: NULLs skipped, optional DISTINCT and ORDER BY, any separator."""

    def __init__(self) -> None:
        self.items: list[tuple[tuple, str]] = []
        self.sep, self.distinct, self.desc = ",", False, ()

    def step(self, value: object, sep: object, distinct: object, *order: object) -> None:
        self.sep, self.distinct, self.desc = str(sep), bool(distinct), tuple(bool(d) for d in order[1::2])
        if value is not None:
            self.items.append((tuple(order[0::2]), _str(value)))

    def finalize(self) -> str | None:
        items = self.items
        for i in reversed(range(len(self.desc))):  # stable sorts, last key first
            items = sorted(items, key=lambda it, i=i: (it[0][i] is not None, it[0][i]), reverse=self.desc[i])
        values = [v for _, v in items]
        if self.distinct:
            values = list(dict.fromkeys(values))
        return self.sep.join(values) if values else None


_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ)


def _nocase(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Collate):
        return node
    return exp.Collate(this=exp.paren(node, copy=False), expression=exp.var("NOCASE"))


def _source_name(sql: str, node: exp.Expression) -> str:
    """The column name MySQL gives an unaliased SELECT expression: its text as written."""
    if isinstance(node, exp.Column):
        return node.name
    starts = [n.meta["start"] for n in node.walk() if isinstance(n.meta, dict) and "start" in n.meta]
    if not starts:
        return node.sql(dialect=_OfficeMySQL)
    start, depth, quote, i = min(starts), 0, "", min(starts)
    while start > 0 and sql[start - 1] == "(":  # the expression may open with parentheses
        start -= 1
    i = start
    while i < len(sql):
        ch = sql[i]
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"`":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        elif depth == 0 and _STOP_WORDS.match(sql, i):
            break
        i += 1
    return sql[start:i].strip() or node.sql(dialect=_OfficeMySQL)


# Calls whose result MySQL types as a string (so "2024-02-01" stays a string, not a DATE).
_STRING_CALLS = {
    "CONCAT", "CONCAT_WS", "LEFT", "RIGHT", "SUBSTRING", "SUBSTR", "MID", "DATE_FORMAT", "REPLACE", "LPAD",
    "RPAD", "UPPER", "UCASE", "LOWER", "LCASE", "LTRIM", "RTRIM", "REVERSE", "REPEAT", "FORMAT",
}  # fmt: skip
_DATE_SHIFTS = {"DATE_ADD", "ADDDATE", "DATE_SUB", "SUBDATE"}


def _is_text(node: exp.Expression) -> bool:
    """Whether MySQL answers this SELECT expression as a string rather than a DATE/DATETIME."""
    node = node.this if isinstance(node, exp.Alias) else node
    if isinstance(node, exp.Literal):
        return node.is_string
    if isinstance(node, exp.GroupConcat | exp.Substring | exp.Trim | exp.Lower | exp.Upper):
        return True
    if isinstance(node, exp.Cast):
        return node.to.this in (exp.DataType.Type.CHAR, exp.DataType.Type.VARCHAR, exp.DataType.Type.TEXT)
    if isinstance(node, exp.Anonymous):
        name = str(node.this).upper()
        first = node.expressions[0] if node.expressions else None
        return name in _STRING_CALLS or (
            name in _DATE_SHIFTS and isinstance(first, exp.Literal) and first.is_string
        )
    if isinstance(node, exp.Add | exp.Sub) and isinstance(node.expression, exp.Interval):
        return isinstance(node.this, exp.Literal) and node.this.is_string
    return False


def _name_columns(sql: str, tree: exp.Expression) -> frozenset[int]:
    """Alias each unaliased SELECT expression with its text as written; the indexes of string columns."""
    select = tree
    while isinstance(select, exp.SetOperation):
        select = select.this
    if isinstance(select, exp.Subquery):
        select = select.unnest()
    if not isinstance(select, exp.Select):
        return frozenset()
    named = []
    starred = any(isinstance(n, exp.Star) or (isinstance(n, exp.Column) and n.is_star)
                  for n in select.expressions)  # fmt: skip
    text = frozenset() if starred else frozenset(i for i, n in enumerate(select.expressions) if _is_text(n))
    for node in select.expressions:
        if isinstance(node, exp.Alias | exp.Star) or (isinstance(node, exp.Column) and node.is_star):
            named.append(node)
        else:
            named.append(exp.alias_(node, exp.to_identifier(_source_name(sql, node), quoted=True)))
    select.set("expressions", named)
    return text


def _is_temporary(node: exp.Create) -> bool:
    props = node.args.get("properties")
    return node.kind == "TABLE" and props is not None and any(
        isinstance(p, exp.TemporaryProperty) for p in props.expressions
    )


def plan(
    sql: str, tables: set[str], numeric: frozenset[str] = frozenset()
) -> list[tuple[str, str, frozenset[int]]]:
    """The statements to run on SQLite, each as (kind, sql, string columns): kind "query", "temp", "drop".
    ``numeric``: lower-case names of columns that are numbers in every table that has them.

    Raises :class:`QueryError` (400 for what MySQL would reject, 401 for anything that writes)."""
    text = _EXECUTABLE_COMMENT.sub(lambda m: " " + m.group(1) + " ", sql).strip()
    if _INTO_FILE.search(_LITERALS.sub("''", text)):
        raise QueryError(401, NOT_READ_ONLY)
    try:
        trees = [t for t in sqlglot.parse(text, dialect=_OfficeMySQL) if t is not None]
    except ParseError as err:
        if _WRITE_WORDS.search(_LITERALS.sub("''", text)):  # screened before MySQL ever parses it
            raise QueryError(401, NOT_READ_ONLY) from None
        info = err.errors[0] if err.errors else {}
        line = int(info.get("line") or 1)
        offset = _offset(text, line, int(info.get("col") or 1))
        raise syntax_error(text, _token_start(text, offset), line) from None
    except TokenError:
        raise syntax_error(text, 0, 1) from None
    if not trees:
        raise QueryError(400, "SqlCommand is required.")
    temps: set[str] = set()
    steps: list[tuple[str, str, frozenset[int]]] = []
    for tree in trees:
        if isinstance(tree, exp.Pragma) or (isinstance(tree, exp.Command) and tree.name.upper() == "PRAGMA"):
            raise syntax_error(text, 0, 1)
        if isinstance(tree, exp.Query):
            if tree.find(exp.Into) is not None:
                raise QueryError(401, NOT_READ_ONLY)
            strings = _name_columns(text, tree)
            steps.append(("query", _rewrite(tree, tables | temps, numeric).sql(dialect="sqlite"), strings))
        elif isinstance(tree, exp.Create) and _is_temporary(tree):
            if not re.search(r"\bTEMPORARY\b", text, re.IGNORECASE):  # MySQL has no TEMP shorthand
                raise syntax_error(text, 0, 1)
            name = tree.this.name if isinstance(tree.this, exp.Table) else tree.this.this.name
            source = tree.expression
            if source is not None:
                tree.set("expression", _rewrite(source, tables | temps, numeric))
            temps.add(name.lower())
            steps.append(("temp", tree.sql(dialect="sqlite"), frozenset()))
        elif isinstance(tree, exp.Drop) and tree.args.get("temporary") and tree.kind == "TABLE":
            for table in tree.args.get("tables") or []:
                if table.name.lower() not in temps:
                    raise QueryError(400, f"Error executing query: Unknown table 'opendental.{table.name}'")
                temps.discard(table.name.lower())
                steps.append(("drop", f'DROP TABLE temp."{table.name}"', frozenset()))
        elif isinstance(tree, exp.Insert) and tree.this.find(exp.Table) is not None and (
            tree.this.find(exp.Table).name.lower() in temps  # type: ignore[union-attr]
        ):
            if tree.expression is not None:
                tree.set("expression", _rewrite(tree.expression, tables | temps, numeric))
            steps.append(("temp", tree.sql(dialect="sqlite"), frozenset()))
        else:
            raise QueryError(401, NOT_READ_ONLY)
    if not any(kind == "query" for kind, _, _ in steps):
        raise QueryError(400, "Error executing query: the command returned no result set.")
    return steps


def _offset(text: str, line: int, col: int) -> int:
    lines = text.split("\n")
    return sum(len(x) + 1 for x in lines[: line - 1]) + max(0, col - 1)


_STATEMENTS = {"SELECT", "WITH", "CREATE", "DROP", "INSERT", "UPDATE", "DELETE", "SET", "SHOW", "("}


def _token_start(text: str, offset: int) -> int:
    """Where MySQL's "near '...'" starts: the first word when it is no statement, else the bad token."""
    first = re.match(r"\s*(\(|\w+)", text)
    if first is None or first.group(1).upper() not in _STATEMENTS:
        return 0
    offset = min(offset, len(text) - 1)
    while offset > 0 and not text[offset - 1].isspace() and text[offset - 1] not in ",()":
        offset -= 1
    return offset


_SQLITE_ERRORS = (
    (re.compile(r"no such column: (?:\w+\.)?(\S+)"), "Unknown column '{0}' in 'field list'"),
    (re.compile(r"ambiguous column name: (\S+)"), "Column '{0}' in field list is ambiguous"),
    (re.compile(r"no such table: (\S+)"), "Table 'opendental.{0}' doesn't exist"),
    (re.compile(r"table (\S+) already exists"), "Table '{0}' already exists"),
)


def mysql_message(error: sqlite3.Error) -> str:
    """SQLite's error text in MySQL's words, where there is a counterpart."""
    text = str(error)
    for pattern, template in _SQLITE_ERRORS:
        match = pattern.search(text)
        if match:
            return "Error executing query: " + template.format(match.group(1).strip("\"'`"))
    return f"Error executing query: {text}"


def numeric_columns(con: sqlite3.Connection) -> frozenset[str]:
    """Lower-case names of the columns declared as numbers in every table of ``con`` that has them."""
    kinds: dict[str, set[bool]] = {}
    for name, declared in con.execute(
        "SELECT p.name, p.type FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table'"
    ):
        kinds.setdefault(name.lower(), set()).add(declared.upper() in ("INTEGER", "REAL", "NUMERIC"))
    return frozenset(name for name, numeric in kinds.items() if numeric == {True})


@functools.lru_cache(maxsize=32)
def _planned(
    sql: str, tables: frozenset[str], numeric: frozenset[str]
) -> tuple[tuple[str, str, frozenset[int]], ...]:
    """:func:`plan`, remembered for the last few statements: a client paging through a query's answer
    sends the same SQL again with another Offset (a rejected statement is never remembered)."""
    return tuple(plan(sql, set(tables), numeric))


def run(
    con: sqlite3.Connection,
    sql: str,
    tables: set[str],
    *,
    offset: int = 0,
    limit: int = 100,
    numeric: frozenset[str] = frozenset(),
) -> tuple[list[str], list[tuple]]:
    """Run ``sql`` as MySQL would on ``con`` (set up with :func:`register`; its tables: ``tables``): the
    last SELECT's columns and rows ``offset`` .. ``offset + limit``, values as the API sends them.
    Temporary tables live for this call. ``numeric``: :func:`numeric_columns` of the database."""
    steps = _planned(sql, frozenset(t.lower() for t in tables), numeric)
    columns: list[str] = []
    rows: list[tuple] = []
    strings: frozenset[int] = frozenset()
    try:
        for kind, statement, text_columns in steps:
            cursor = con.execute(statement)
            if kind == "query":
                columns = [d[0] for d in cursor.description or ()]
                strings = text_columns
                skipped = 0
                while skipped < offset:
                    chunk = cursor.fetchmany(min(1000, offset - skipped))
                    if not chunk:
                        break
                    skipped += len(chunk)
                rows = cursor.fetchmany(limit)
            cursor.close()
    finally:
        for (name,) in con.execute("SELECT name FROM temp.sqlite_master WHERE type = 'table'").fetchall():
            con.execute(f'DROP TABLE temp."{name}"')
    return columns, [tuple(_wire(v, i in strings) for i, v in enumerate(row)) for row in rows]


_ISO_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}:\d{2}))?$")


def _wire(value: object, text: bool) -> object:
    """How the API writes a value: DATE and DATETIME values as "yyyy-MM-ddTHH:mm:ss"."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, str) and not text:
        match = _ISO_DATE.match(value)
        if match:
            return f"{match.group(1)}T{match.group(2) or '00:00:00'}"
    return value


__all__ = ["NOT_READ_ONLY", "QueryError", "functions", "mysql_message", "plan", "register", "run"]
