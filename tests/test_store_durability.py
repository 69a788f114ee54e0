"""Durability: kill -9 a writer in the middle of a burst of writes, reopen, and check that
nothing committed was lost, SQLite's integrity check passes and the audit chain verifies.
Also prints the single-writer throughput (a figure, not an assertion)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from app.store import Store
from app.store.samples import FRAME, sample_incident

WRITER = r"""
import sys
from app.store import Store
from app.store.samples import FRAME as fr, sample_incident
s = Store.open(sys.argv[1])
i = 0
while True:
    r = s.record_incident(sample_incident(f"K{sys.argv[2]}-{i}", rounds=1 + i % 4), fr)
    if i % 3 == 0:   # also revisions of earlier incidents
        s.record_incident(sample_incident(f"K{sys.argv[2]}-{i}", revision=1, rounds=5), fr)
    print(i, flush=True)   # printed only after the commit returned
    i += 1
"""


@pytest.mark.slow
def test_kill_minus_9_during_write_burst_loses_nothing_committed(tmp_path):
    db = tmp_path / "kill.sqlite3"
    Store.open(db).close_all()
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(k)], stdout=subprocess.PIPE, text=True)
             for k in range(2)]                        # two writer processes contend for the lock
    last = [-1, -1]
    deadline = time.monotonic() + 60
    while min(last) < 150 and time.monotonic() < deadline:
        for k, p in enumerate(procs):
            line = p.stdout.readline()
            if line:
                last[k] = int(line)
    for p in procs:
        os.kill(p.pid, signal.SIGKILL)
    for k, p in enumerate(procs):
        p.wait()
        for line in p.stdout.read().split():  # anything printed before death was committed too
            last[k] = int(line)
    assert min(last) >= 150, "writers did not get going"
    s = Store.open(db)
    try:
        assert s.integrity_check() == "ok"
        report = s.verify_audit()
        assert report.ok, str(report)
        for k in range(2):
            for i in range(last[k] + 1):
                s.incident_id_for(f"K{k}-{i}")          # raises if a committed incident was lost
        n = s.count_incidents()
        print(f"\nkill -9 test: {n} incidents, {report.entries} audit entries after killing two writers "
              f"(last committed {last}); integrity ok, chain intact")
    finally:
        s.close_all()


def test_print_write_throughput(tmp_path):
    s = Store.open(tmp_path / "speed.sqlite3")
    fr = FRAME
    n = 300
    t = time.perf_counter()
    for i in range(n):
        s.record_incident(sample_incident(f"S{i}"), fr)
    dt = time.perf_counter() - t
    print(f"\nstore write throughput: {n / dt:.0f} incidents/s ({1000 * dt / n:.2f} ms each, synchronous=FULL, "
          "each with revision, shots and audit entry)")
    assert s.count_incidents() == n
    s.close_all()


@pytest.mark.slow
def test_print_paging_and_filter_times_with_50k_incidents(tmp_path):
    from app.store import ImportedIncident, IncidentQuery

    s = Store.open(tmp_path / "big.sqlite3")
    kinds = ("single_gunshot", "multiple_gunshots", "possible_gunfire")
    recs = (ImportedIncident(uid=f"B{i}", start_ns=1_600_000_000 * 10**9 + i * 600 * 10**9, kind=kinds[i % 3],
                             rounds=1 + i % 5, lat=29.5 + (i % 100) * 1e-4, lon=-140.5, address=f"{i % 900} Alder St")
            for i in range(50_000))
    t = time.perf_counter()
    inserted, _ = s.import_incidents(recs, actor="bench", source_label="synthetic")
    t_import = time.perf_counter() - t
    assert inserted == 50_000

    def timed(fn, reps=20):
        t = time.perf_counter()
        for _ in range(reps):
            out = fn()
        return (time.perf_counter() - t) / reps * 1000, out

    first_ms, page = timed(lambda: s.list_incidents(limit=100))
    deep_ms, _ = timed(lambda: s.list_incidents(limit=100, offset=49_000))
    key_ms, _ = timed(lambda: s.list_incidents(limit=100, before=(page[-1].start_ns, page[-1].id)))
    filt_ms, rows = timed(lambda: s.list_incidents(IncidentQuery(kind="single_gunshot", status="closed"), limit=100))
    count_ms, n = timed(lambda: s.count_incidents(IncidentQuery(text="12 Alder")), reps=5)
    assert len(rows) == 100 and n > 0
    print(f"\n50,000 incidents: bulk import {t_import:.1f} s; first page {first_ms:.1f} ms, offset 49,000 "
          f"{deep_ms:.1f} ms, keyset page {key_ms:.1f} ms, kind+status filter {filt_ms:.1f} ms, "
          f"address text count {count_ms:.1f} ms")
    s.close_all()
