"""The city register (市级“无废城市细胞”登记库): county bundles in, published lists, 摘牌, 抽查, progress.

Library surface (the CLI `wufei city …` is a thin layer over these):
    open_register(path, create=False, wait=30) -> connection     db.py (schema, migrations, busy timeout)
    transaction(conn)                                             one command = one transaction
    read_bundles(paths, today) / import_bundles(conn, bundles, change)   importer.py (checked by checks.py)
    publish(conn, batch, out_dir, change) / spotcheck(...)        publishing.py
    delist / withdraw(conn, uscc, change) / record_result(conn, uscc, passed, change) / history / verify   register.py
    list_units(conn, status=, county=) / list_xlsx(rows, day)   listing.py (`city list`)
    status(conn, day) -> Status                                   status.py
"""

from __future__ import annotations

from wufei_docs.city.db import SCHEMA_VERSION, open_register, transaction
from wufei_docs.city.importer import ImportReport, import_bundles, read_bundles
from wufei_docs.city.listing import list_units, list_xlsx
from wufei_docs.city.publishing import PublishReport, SpotcheckReport, publish, spotcheck
from wufei_docs.city.register import (
    STATUSES,
    Change,
    delist,
    history,
    normalise_uscc,
    record_result,
    verify,
    withdraw,
)
from wufei_docs.city.status import Status, status
from wufei_docs.files.names import DEFAULT_DB

__all__ = [
    "DEFAULT_DB",
    "SCHEMA_VERSION",
    "STATUSES",
    "Change",
    "ImportReport",
    "PublishReport",
    "SpotcheckReport",
    "Status",
    "delist",
    "history",
    "import_bundles",
    "list_units",
    "list_xlsx",
    "normalise_uscc",
    "open_register",
    "publish",
    "read_bundles",
    "record_result",
    "spotcheck",
    "status",
    "transaction",
    "verify",
    "withdraw",
]
