"""Where odnb keeps things on disk, all private to the user: cache and store folders per practice, report
folders, and atomic 0600 file writes. A leaf: every room (api, store, reports, demo) may use it.

Example:
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "out.txt"
    >>> write_private_file(target, b"hello")
    >>> oct(target.stat().st_mode & 0o777) if os.name == "posix" else "0o600"
    '0o600'
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol


class NamedFolder(Protocol):
    """Anything with a ``name`` and an optional ``cache_dir`` (a :class:`odnb.api.profiles.Profile`)."""

    name: str
    cache_dir: Path | str | None


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


def given_dir(path: Path) -> Path:
    """A folder the user named (``--out``, ``--parquet``): used as it is when it exists (odnb does not
    change the permissions of a folder it did not make), else created private (0700) like every folder odnb
    makes. The files odnb writes into it are 0600 either way.

    Example:
        >>> import tempfile; shared = Path(tempfile.mkdtemp()); shared.chmod(0o755)
        >>> oct(given_dir(shared).stat().st_mode & 0o777) if os.name == "posix" else "0o755"
        '0o755'
    """
    path = Path(path).expanduser()
    return path if path.is_dir() else private_dir(path)


def practice_dir(profile: NamedFolder | str) -> Path:
    """A private cache folder (0700): ``profile.cache_dir`` or ``$ODNB_CACHE_DIR/<name>`` (a profile or a
    name such as "schedule")."""
    if not isinstance(profile, str) and profile.cache_dir is not None:
        return private_dir(Path(profile.cache_dir).expanduser())
    name = profile if isinstance(profile, str) else profile.name
    return private_dir(private_dir(cache_root()) / name)


def reports_dir(profile: NamedFolder | str) -> Path:
    """The private report folder (0700) of a profile (or profile name): ``$ODNB_REPORTS_DIR/<name>``."""
    name = profile if isinstance(profile, str) else profile.name
    return private_dir(private_dir(reports_root()) / name)




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
