"""Ledger figures: cost of one gate decision (authorise + signed, committed ledger entry), verification speed and
export size, on SQLite (default) or PostgreSQL (SERENO_DATABASE_URL).

    python benchmarks/bench_governance.py [--entries 5000]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sereno.config import load_settings
from sereno.governance import Action, Governance, Purpose, Scope, authorize
from sereno.governance.cases import open_case
from sereno.governance import identity
from sereno.governance.model import SYSTEM, AgencyLevel, Principal, Role


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=5000, help="ledger entries to write before verifying")
    parser.add_argument("--decisions", type=int, default=300, help="gate decisions to time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(Path(tmp), database_url=os.environ.get("SERENO_DATABASE_URL"))
        gov = Governance.open(settings)
        engine = gov.engine.dialect.name
        identity.bootstrap(gov, "tij", "Tijuana", AgencyLevel.MUNICIPAL, "admin", "benchmark password")
        lead = identity.users(gov)[0]
        inv = Principal(lead.id, "admin", "tij", Role.INVESTIGATOR)
        open_case(gov, inv, "BENCH-1", "vehicle_theft")
        now = gov.now()
        scope = Scope(plates=("ABC1234",), start=now - timedelta(days=1), end=now)
        purpose = Purpose("BENCH-1", "robo de vehículo, benchmark del gate")

        start = time.perf_counter()
        for _ in range(args.decisions):
            assert authorize(gov, inv, Action.SEARCH_PLATE, purpose, scope).allowed
        per_decision = (time.perf_counter() - start) / args.decisions

        start = time.perf_counter()
        while gov.ledger.count() < args.entries:
            gov.ledger.append("access", SYSTEM, action="search.plate", details={"items": 3})
        append_rate = (args.entries - args.decisions) / (time.perf_counter() - start)

        start = time.perf_counter()
        report = gov.ledger.verify()
        verify_s = time.perf_counter() - start
        assert report.ok

        start = time.perf_counter()
        bundle = gov.ledger.export(Path(tmp) / "ledger.zip", SYSTEM)
        export_s = time.perf_counter() - start
        bundle_bytes = bundle.stat().st_size
        gov.close()
    print(f"engine={engine}")
    print(f"gate decision (authorise + signed committed entry): {per_decision * 1000:.1f} ms")
    print(f"ledger appends: {append_rate:.0f} entries/s")
    print(f"verify {report.entries} entries + {report.checkpoints} checkpoints: {verify_s:.2f} s "
          f"({report.entries / verify_s:.0f} entries/s)")
    print(f"export: {export_s:.2f} s, {bundle_bytes / report.entries:.0f} bytes/entry compressed")


if __name__ == "__main__":
    main()
