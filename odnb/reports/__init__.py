"""Reports: run curated notebooks with papermill (:mod:`~odnb.reports.run`), render them to email-safe
HTML (:mod:`~odnb.reports.render`), hand their headline figures to ``kpis.json``
(:mod:`~odnb.reports.payload`), mail them (:mod:`~odnb.reports.mail`) and run them on a schedule
(:mod:`~odnb.reports.schedule`).

Example (in a notebook cell):
    from odnb.reports import publish_kpis
    publish_kpis(card, profile=profile)
"""

from __future__ import annotations

from odnb.reports.payload import kpi_payload, publish_kpis

__all__ = ["kpi_payload", "publish_kpis"]
