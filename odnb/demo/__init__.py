"""The embedded Open Dental demo practice: a synthetic office (``practice``) behind an API simulator
(``server``) that behaves like Open Dental's REST API — auth, paging, throttling, errors and quirks.

Example:
    >>> from odnb.demo import DEMO_DEVELOPER_KEY
    >>> len(DEMO_DEVELOPER_KEY) > 0
    True
"""

from __future__ import annotations

# Keys the simulator accepts by default. They open only the local synthetic practice, so they are not secrets
# (the README's curl example shows them); odnb still handles them as keys: never logged or cached.
DEMO_DEVELOPER_KEY = "odnbDemoDeveloper01"
DEMO_CUSTOMER_KEY = "odnbDemoCustomerAll"  # every permission (Read All, Queries, Payments, ...)
DEMO_READONLY_CUSTOMER_KEY = "odnbDemoCustomerRO1"  # the free tier: Read All only, no Queries

OFFICE_VERSION = "25.3.18"  # the version the simulated office reports
