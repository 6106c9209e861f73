"""Search benchmark: N synthetic sightings in SQLite, then p50/p95 latency of each kind of search.

    python benchmarks/search.py                   # 10 million sightings (takes a while; run with nice)
    python benchmarks/search.py --rows 200000     # quick check

What it does
1. Creates the schema with Store.open (Alembic, the real indexes).
2. Bulk-loads N sightings: 1,000 cameras over a 30 x 20 km area (Tijuana), 30 days, plates drawn from Mexican and
   US formats; vehicles repeat (a few are seen very often) so routes exist. Secondary indexes are dropped during the
   load and rebuilt after it (the usual way to load a table this size), then the distinct plates go into
   seen_plates; prints rows/s.
3. Measures the normal write path separately: Store.add_sighting (one commit, synchronous=FULL, hotlist matching
   against a 1,000-plate list) and Store.add_sightings in batches of 100, 1,000 and 5,000, on the full database.
   Sighting ids are made as the pipeline makes them (sereno.domain.new_id, clock-ordered), in the bulk load too
   (from each sighting's time); --random-ids uses UUID4s instead, as before, for comparison. The plates written
   follow the bulk load's traffic (most seen before); --uniform-plates draws them from the whole list (half new).
   Then counts the pages that commits of 1,000 write to the WAL per sighting: the disk work, whatever the load.
4. Runs each search with random inputs and prints p50/p95/max in milliseconds, and the database size.
Synthetic data only: no real plates or people.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sqlite3
import statistics
import string
import time
import uuid
from collections.abc import Callable
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
from sqlalchemy import text

from sereno.domain import HotlistEntry, PlateRead, Sighting, id_from_clock, new_id
from sereno.intel.geo import cell_of
from sereno.intel.hotlists import replace_hotlist
from sereno.intel.search import SearchFilter, search_area, search_fuzzy, search_plate, search_route
from sereno.store import Store
from sereno.store.seen_plates import seen_plate_rows
from sereno.store.tables import SeenPlateRow, SightingRow

START = datetime(2026, 10, 1, tzinfo=timezone.utc)
CENTER = (32.50, -116.95)  # Tijuana
SPAN_DEG = (0.18, 0.32)  # about 20 km north-south, 30 km east-west
FORMATS = ["@@@####", "@##@@@", "@@@###@", "@@#####", "####@@", "#@@@###"]  # Mexico first, one US layout
LETTERS = np.array(list(string.ascii_uppercase))
DIGITS = np.array(list(string.digits))


def make_plates(count: int, rng: np.random.Generator) -> np.ndarray:
    fmt_of = rng.integers(0, len(FORMATS), count)
    plates = np.empty(count, dtype="<U7")
    for f, layout in enumerate(FORMATS):
        idx = np.nonzero(fmt_of == f)[0]
        cols = [rng.choice(LETTERS if ch == "@" else DIGITS, len(idx)) for ch in layout]
        plates[idx] = ["".join(t) for t in zip(*cols)]
    return np.unique(plates)


def make_cameras(count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    lat = CENTER[0] + (rng.random(count) - 0.5) * SPAN_DEG[0]
    lon = CENTER[1] + (rng.random(count) - 0.5) * SPAN_DEG[1]
    order = np.lexsort((lon, lat))  # neighbouring camera numbers are near each other
    return lat[order], lon[order]


def random_id() -> str:
    """A UUID4, as sighting ids were before sereno.domain.new_id became clock-ordered (--random-ids)."""
    return uuid.uuid4().hex


def draw_vehicles(count: int, vehicles: int, rng: np.random.Generator) -> np.ndarray:
    """Zipf-like repeat vehicles: a few are everywhere, most are seen a handful of times (indexes into plates)."""
    vehicle = np.minimum((rng.pareto(1.2, count) * vehicles / 50).astype(np.int64), vehicles - 1)
    return (vehicle * 2654435761) % vehicles  # spread the popular ones over the plate space


def sighting_rows(start: int, count: int, plates: np.ndarray, home: np.ndarray, cam_lat: np.ndarray,
                  cam_lon: np.ndarray, days: int, rng: np.random.Generator, random_ids: bool) -> list[tuple]:
    vehicle = draw_vehicles(count, len(plates), rng)
    cams = len(cam_lat)
    camera = (home[vehicle] + rng.integers(-15, 16, count)) % cams
    seconds = rng.random(count) * days * 86400
    when = (np.datetime64(START.replace(tzinfo=None), "us") + (seconds * 1e6).astype("timedelta64[us]"))
    when_text = np.char.replace(when.astype(str), "T", " ")
    conf = np.round(0.6 + rng.random(count) * 0.4, 3)
    # Ids as the pipeline makes them, at the time each sighting was written (about when it was observed).
    micros = int(START.timestamp() * 1e6) + (seconds * 1e6).astype(np.int64)
    rows = []
    for i in range(count):
        plate = plates[vehicle[i]]
        c = camera[i]
        lat, lon = float(cam_lat[c]), float(cam_lon[c])
        sighting_id = random_id() if random_ids else id_from_clock(int(micros[i]))
        rows.append((sighting_id, f"cam{c:04d}", when_text[i], "car", "[0,0,120,80]", 1, plate, float(conf[i]),
                     plate, lat, lon, cell_of(lat, lon)))
    return rows


INSERT_SQL = ("INSERT INTO sightings (id, camera_id, observed_at, object_class, box, frames, plate_text, "
              "plate_confidence, plate_raw, lat, lon, cell) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)")
INSERT_PLATE_SQL = ("INSERT INTO seen_plates (plate_text, plate_rev, plate_key) "
                    "VALUES (:plate_text, :plate_rev, :plate_key)")


def bulk_load(db: Path, rows: int, plates: np.ndarray, home: np.ndarray, cam_lat: np.ndarray, cam_lon: np.ndarray,
              days: int, seed: int, random_ids: bool) -> dict:
    indexes = [*SightingRow.__table__.indexes, *SeenPlateRow.__table__.indexes]
    con = sqlite3.connect(db)
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-1000000")
    for ix in indexes:
        con.execute(f"DROP INDEX IF EXISTS {ix.name}")
    rng = np.random.default_rng(seed)
    chunk, t0, gen_s, seen = 200_000, time.perf_counter(), 0.0, set()
    for start in range(0, rows, chunk):
        g = time.perf_counter()
        batch = sighting_rows(start, min(chunk, rows - start), plates, home, cam_lat, cam_lon, days, rng,
                              random_ids)
        seen.update(row[6] for row in batch)
        gen_s += time.perf_counter() - g
        with con:
            con.executemany(INSERT_SQL, batch)
        print(f"  loaded {start + len(batch):,} rows", flush=True)
    g = time.perf_counter()
    plate_rows = seen_plate_rows(seen)
    gen_s += time.perf_counter() - g
    with con:
        con.executemany(INSERT_PLATE_SQL, plate_rows)
    load_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    for ix in indexes:
        cols = ", ".join(c.name for c in ix.columns)
        con.execute(f"CREATE INDEX {ix.name} ON {ix.table.name} ({cols})")
        print(f"  index {ix.name} built", flush=True)
    index_s = time.perf_counter() - t1
    t2 = time.perf_counter()
    con.execute("ANALYZE")
    analyze_s = time.perf_counter() - t2
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return {"rows": rows, "seen_plates": len(plate_rows), "generate_s": round(gen_s, 1),
            "insert_s": round(load_s - gen_s, 1),
            "insert_rows_per_s": round(rows / max(load_s - gen_s, 1e-9)), "index_build_s": round(index_s, 1),
            "analyze_s": round(analyze_s, 1), "total_s": round(time.perf_counter() - t0, 1)}


def write_path(store: Store, db: Path, plates: np.ndarray, cam_lat: np.ndarray, cam_lon: np.ndarray, count: int,
               random_ids: bool, uniform_plates: bool) -> dict:
    rng = random.Random(7)
    # Other plates each run, as on the street: a run must not find the plates of the one before already recorded.
    seed = time.time_ns()
    total = count + sum(max(1, count * 5 // batch) * batch for batch in (100, 1000, 5000)) + 5 * 1000
    if uniform_plates:
        vehicles = iter(np.random.default_rng(seed).integers(0, len(plates), total).tolist())
    else:  # the bulk load's traffic: most plates written were seen before
        vehicles = iter(draw_vehicles(total, len(plates), np.random.default_rng(seed)).tolist())
    with store.session() as session:
        listed = [HotlistEntry("bench", str(p), reason="stolen vehicle") for p in rng.sample(list(plates), 1000)]
        replace_hotlist(session, "bench", listed, fmt="csv")

    def sighting() -> Sighting:
        c = rng.randrange(len(cam_lat))
        plate = str(plates[next(vehicles)])
        return Sighting(camera_id=f"cam{c:04d}", observed_at=datetime.now(timezone.utc), object_class="car",
                        box=(0, 0, 120, 80), plate=PlateRead(plate, 0.9, raw_text=plate),
                        lat=float(cam_lat[c]), lon=float(cam_lon[c]), id=random_id() if random_ids else new_id())

    t0 = time.perf_counter()
    for _ in range(count):
        store.add_sighting(sighting())
    result = {"add_sighting_per_s": round(count / (time.perf_counter() - t0))}
    for batch in (100, 1000, 5000):
        batches = max(1, count * 5 // batch)
        t1 = time.perf_counter()
        for _ in range(batches):
            store.add_sightings([sighting() for _ in range(batch)])
        result[f"add_sightings_batch{batch}_per_s"] = round(batch * batches / (time.perf_counter() - t1))
    # The disk work behind those figures, whatever the machine's load: pages each commit of 1,000 writes to the WAL.
    with closing(sqlite3.connect(db)) as side:
        pages = []
        for _ in range(5):
            side.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            store.add_sightings([sighting() for _ in range(1000)])
            pages.append(side.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1] / 1000)
    result["wal_pages_per_sighting_batch1000"] = [round(p, 2) for p in pages]
    return result


def measure(name: str, runs: int, make_call: Callable[[], Callable[[], int]]) -> dict:
    times, found = [], []
    for _ in range(runs):
        call = make_call()
        t = time.perf_counter()
        found.append(call())
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    result = {"query": name, "runs": runs, "p50_ms": round(statistics.median(times), 2),
              "p95_ms": round(times[int(0.95 * (runs - 1))], 2), "max_ms": round(times[-1], 2),
              "mean_results": round(sum(found) / runs, 1)}
    print(f"  {name:<28} p50 {result['p50_ms']:>8.2f} ms   p95 {result['p95_ms']:>8.2f} ms   "
          f"max {result['max_ms']:>8.2f} ms   results/query {result['mean_results']}", flush=True)
    return result


def queries(store: Store, plates: np.ndarray, cam_lat: np.ndarray, cam_lon: np.ndarray, days: int,
            runs: int) -> list[dict]:
    rng = random.Random(11)
    swaps = {"0": "O", "O": "0", "1": "I", "I": "1", "8": "B", "B": "8", "5": "S", "S": "5", "3": "7", "7": "3"}

    def plate() -> str:
        return str(plates[rng.randrange(len(plates))])

    def misread(p: str) -> str:
        i = rng.randrange(len(p))
        return p[:i] + swaps.get(p[i], rng.choice(string.ascii_uppercase)) + p[i + 1:]

    def window(hours: float) -> SearchFilter:
        start = START + timedelta(seconds=rng.random() * (days * 86400 - hours * 3600))
        return SearchFilter(since=start, until=start + timedelta(hours=hours), limit=1000)

    def run(fn: Callable[..., object], *args: object) -> Callable[[], int]:
        def call() -> int:
            with store.session() as s:
                out = fn(s, *args)
            return len(out["features"]) if isinstance(out, dict) else len(out)  # type: ignore[arg-type]
        return call

    def camera() -> tuple[float, float]:
        c = rng.randrange(len(cam_lat))
        return float(cam_lat[c]), float(cam_lon[c])

    return [
        measure("plate exact", runs, lambda: run(search_plate, plate())),
        measure("plate wildcard ABC*", runs, lambda: run(search_plate, plate()[:3] + "*")),
        measure("plate wildcard A?C123", runs, lambda: run(search_plate, (lambda p, i: p[:i] + "?" + p[i + 1:])(
            plate(), rng.randrange(1, 7)))),
        measure("plate wildcard *1234", runs, lambda: run(search_plate, "*" + plate()[-4:])),
        measure("plate fuzzy d<=1", runs, lambda: run(search_fuzzy, misread(plate()), 1.0)),
        measure("area 500 m, 2 h", runs, lambda: run(search_area, *camera(), 500.0, window(2))),
        measure("area 500 m, 24 h", runs, lambda: run(search_area, *camera(), 500.0, window(24))),
        measure("route (30 days)", runs, lambda: run(search_route, plate())),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--cameras", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--runs", type=int, default=200, help="queries per kind (0: no searches)")
    parser.add_argument("--writes", type=int, default=1000, help="sightings through Store.add_sighting")
    parser.add_argument("--db", type=Path, default=Path("/tmp/sereno-bench/search.db"))
    parser.add_argument("--reuse", action="store_true", help="query an existing database from an earlier run")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--random-ids", action="store_true",
                        help="UUID4 sighting ids (the layout before clock-ordered ids), for comparison")
    parser.add_argument("--uniform-plates", action="store_true",
                        help="write path: plates drawn uniformly from the plate list instead of the bulk load's "
                             "traffic (half of them never seen before: the worst case for seen_plates)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the write-path test raises many (synthetic) hotlist alerts

    rng = np.random.default_rng(args.seed)
    plates = make_plates(max(1000, args.rows // 8), rng)
    cam_lat, cam_lon = make_cameras(args.cameras, rng)
    home = rng.integers(0, args.cameras, len(plates))
    report: dict = {"rows": args.rows, "cameras": args.cameras, "days": args.days, "distinct_plates": len(plates)}
    if not args.reuse:
        args.db.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.db}{suffix}").unlink(missing_ok=True)
        Store.open_url(f"sqlite:///{args.db}").close()
        print(f"bulk load of {args.rows:,} sightings into {args.db}", flush=True)
        report["bulk_load"] = bulk_load(args.db, args.rows, plates, home, cam_lat, cam_lon, args.days, args.seed,
                                       args.random_ids)
        print(f"  {report['bulk_load']}", flush=True)
    store = Store.open_url(f"sqlite:///{args.db}")
    if args.runs:
        print("searches:", flush=True)
        report["queries"] = queries(store, plates, cam_lat, cam_lon, args.days, args.runs)
    print("normal write path (Store.add_sighting / add_sightings, synchronous=FULL, 1,000-plate hotlist):", flush=True)
    report["write_path"] = write_path(store, args.db, plates, cam_lat, cam_lon, args.writes, args.random_ids,
                                      args.uniform_plates)
    print(f"  {report['write_path']}", flush=True)
    with store.session() as s:
        report["sightings_in_db"] = s.execute(text("SELECT max(rowid) FROM sightings")).scalar()
        report["seen_plates_in_db"] = s.execute(text("SELECT count(*) FROM seen_plates")).scalar()
    store.close()
    size = sum(Path(f"{args.db}{x}").stat().st_size for x in ("", "-wal") if Path(f"{args.db}{x}").exists())
    report["db_bytes"] = size
    print(f"database size: {size / 2**30:.2f} GiB ({size / max(args.rows, 1):.0f} bytes/sighting)")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
