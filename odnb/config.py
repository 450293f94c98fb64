"""Named connection profiles (STUB: the interface below is fixed; the implementation is being written).

Example:
    >>> p = Profile(name="x", mode="service", base_url="http://127.0.0.1:30223/api/v1",
    ...             developer_key="d", customer_key="c")
    >>> "d" in repr(p)
    False
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Mode = Literal["remote", "local", "service"]
Tier = Literal["read_all", "paid", "enterprise"]

# Seconds between two requests per customer key, by tier, in remote mode.
TIER_INTERVAL: dict[str, float] = {"read_all": 5.0, "paid": 1.0, "enterprise": 0.5}
# Largest Limit a list GET takes, by mode.
PAGE_SIZE: dict[str, int] = {"remote": 100, "local": 1000, "service": 1000}


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


def load_profile(name: str | None = None, **overrides: object) -> Profile:
    """Resolve a profile: built-in ``demo``, the config file, then ODNB_* environment overrides."""
    raise NotImplementedError
