"""The triage store and its queue: one row per distinct problem, however often it is hit.

Producers (`fuzz run`, `fuzz check --store`, `fuzz reduce`) write through `Store`:

    with Store.open() as store:            # default_path(): $SQLPARITY_STORE or .sqlparity/
        run = store.start_run("check", engines=[...], oracles=["tlp"], seed=1)
        finding_id, is_new = store.record(finding, run)
        store.finish_run(run, {"checks": 120})
"""

from triage.store import OPEN, Recorded, Status, Store, StoredFinding, StoreError, default_path

__all__ = [
    "OPEN",
    "Recorded",
    "Status",
    "Store",
    "StoreError",
    "StoredFinding",
    "default_path",
]
