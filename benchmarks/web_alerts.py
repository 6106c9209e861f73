"""Alert latency to the browser and concurrent event-stream clients, against a real `sereno serve` process.

1. Pipeline (needs the models and ../shared/data): `sereno serve` runs one camera looping the LS15EBC clip in real
   time with a hotlist holding LS15EBC; one SSE client. For each alert: from the last frame the car was seen in
   (the sighting's last_seen) to the client, and from the alert's creation (committed with its sighting) to the
   client. The first includes the tracker's wait: a car's sighting is made once it has been gone for 2 s.
2. Fan-out: `sereno serve --no-workers`; N clients hold /api/events open (the tablets and screens of a centre);
   each round a hotlist import raises one alert on a recent sighting, which every client receives. Latency from
   the alert's creation to each client (p50/p95/max) for each N, and the clients that were dropped.

Every delivery also writes an access entry to the ledger (one per client and alert), so the fan-out measures the
gate's bookkeeping too. Prints a table; --json writes the figures.

    python benchmarks/web_alerts.py                        # both parts
    python benchmarks/web_alerts.py --clients 10,100,300 --rounds 5 --no-pipeline
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

from sereno.config import Settings, load_settings
from sereno.domain import Camera, PlateRead, Sighting
from sereno.governance import Governance
from sereno.governance.demo import demo_login, ensure_demo_installation
from sereno.store import Store
from sereno.store.tables import SightingRow
from sereno.video.cameras_file import save_cameras

REPO = Path(__file__).resolve().parents[1]
from shared_data import SHARED  # noqa: E402
CLIP = SHARED / "video" / "car-approach-plate-LS15EBC.mp4"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def summary(values: list[float]) -> str:
    if not values:
        return "no samples"
    return (f"p50 {percentile(values, 50) * 1000:7.1f} ms   p95 {percentile(values, 95) * 1000:7.1f} ms   "
            f"max {max(values) * 1000:7.1f} ms   n={len(values)}")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Server:
    """`sereno serve` in a child process, as a user runs it."""

    def __init__(self, data_dir: Path, workers: bool) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-c", "from sereno.cli import main; main()", "-d", str(data_dir),
                   "--log-level", "WARNING", "serve", "--port", str(self.port),
                   "--workers" if workers else "--no-workers"]
        self.log = open(data_dir / "serve.log", "w")  # noqa: SIM115  (closed in stop)
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.get(f"{self.url}/api/config", timeout=1)
                return
            except httpx.HTTPError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"sereno serve did not start; see {data_dir / 'serve.log'}") from None
                time.sleep(0.3)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)
        self.log.close()


def installation(data_dir: Path, cameras: list[Camera]) -> tuple[Settings, str, str]:
    """A demo installation with these cameras; bearer tokens of the operator (watches) and the supervisor."""
    settings = load_settings(data_dir)
    save_cameras(settings.cameras_path, cameras)
    with Governance.open(settings) as gov:
        ensure_demo_installation(gov, settings)
        return settings, demo_login(gov, settings, "operador"), demo_login(gov, settings, "supervisora")


def import_hotlist(url: str, token: str, name: str, plate: str) -> None:
    response = httpx.post(f"{url}/api/hotlists", headers={"Authorization": f"Bearer {token}"}, timeout=60,
                          data={"name": name}, files={"file": (f"{name}.csv", f"plate,reason\n{plate},bench\n")})
    response.raise_for_status()


async def watch(url: str, token: str, received: list[tuple[dict, float]], ready: asyncio.Event,
                client: httpx.AsyncClient) -> None:
    """One event-stream client: records (alert, wall-clock arrival) until cancelled."""
    async with client.stream("GET", f"{url}/api/events", headers={"Authorization": f"Bearer {token}"}) as stream:
        kind = ""
        async for line in stream.aiter_lines():
            if line.startswith("event:"):
                kind = line[6:].strip()
            elif line.startswith("data:"):
                if kind == "hello":
                    ready.set()
                elif kind == "alert":
                    received.append((json.loads(line[5:]), time.time()))


# --- 1. the pipeline ----------------------------------------------------------------------------------------------

async def pipeline(seconds: float) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="sereno-bench-") as folder:
        camera = Camera("garita", "Garita", 32.5422, -117.0293, f"file://{CLIP}#loop", region="eu")
        settings, watcher, manager = installation(Path(folder), [camera])
        server = Server(Path(folder), workers=True)
        try:
            import_hotlist(server.url, manager, "demo", "LS15EBC")
            received: list[tuple[dict, float]] = []
            ready = asyncio.Event()
            async with httpx.AsyncClient(timeout=None) as client:
                task = asyncio.create_task(watch(server.url, watcher, received, ready, client))
                await asyncio.sleep(seconds)
                task.cancel()
        finally:
            server.stop()
        return with_last_seen(settings, received)


def with_last_seen(settings: Settings, received: list[tuple[dict, float]]) -> list[dict]:
    """Each alert's delays: from the car's last frame (read from the database afterwards) and from its creation."""
    table = SightingRow.__table__
    rows = []
    with Store.open(settings) as store, store.session() as session:
        for alert, arrived in received:
            if alert["status"] != "unverified":
                continue
            last_seen = session.execute(table.select().where(table.c.id == alert["sighting"]["id"])) \
                .mappings().one()["last_seen"]
            rows.append({"plate": alert["read_plate"], "from_last_frame_s": arrived - last_seen.timestamp(),
                         "from_creation_s": arrived - parse_time(alert["created_at"]).timestamp()})
    return rows


# --- 2. fan-out to many clients -----------------------------------------------------------------------------------

async def fan_out(clients: int, rounds: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="sereno-bench-") as folder:
        camera = Camera("cam-b", "Banco de pruebas", 32.53, -117.02, "/nonexistent.mp4", enabled=False)
        settings, watcher, manager = installation(Path(folder), [camera])
        server = Server(Path(folder), workers=False)
        try:
            inboxes: list[list[tuple[dict, float]]] = [[] for _ in range(clients)]
            readies = [asyncio.Event() for _ in range(clients)]
            limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
            async with httpx.AsyncClient(timeout=None, limits=limits) as client:
                tasks = [asyncio.create_task(watch(server.url, watcher, inbox, ready, client))
                         for inbox, ready in zip(inboxes, readies)]
                await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 300)
                with Store.open(settings) as store:
                    for n in range(rounds):
                        plate = f"BEN{n:04d}"
                        at = datetime.now(timezone.utc) - timedelta(seconds=5)
                        store.add_sighting(Sighting(camera.id, at, "car", (0, 0, 10, 10), PlateRead(plate, 0.9),
                                                    lat=camera.lat, lon=camera.lon))
                        await asyncio.to_thread(import_hotlist, server.url, manager, f"bench-{n}", plate)
                        await asyncio.sleep(2.0)  # every client receives it (and the ledger records each)
                for task in tasks:
                    task.cancel()
        finally:
            server.stop()
    delays = [arrived - parse_time(alert["created_at"]).timestamp()
              for inbox in inboxes for alert, arrived in inbox]
    complete = sum(len(inbox) == rounds for inbox in inboxes)
    return {"clients": clients, "rounds": rounds, "deliveries": len(delays), "expected": clients * rounds,
            "clients_with_every_alert": complete, "delays_s": delays}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", default="10,50,100,250", help="comma-separated client counts")
    parser.add_argument("--rounds", type=int, default=5, help="alerts per client count")
    parser.add_argument("--pipeline-seconds", type=float, default=60.0)
    parser.add_argument("--no-pipeline", action="store_true", help="skip part 1 (models, shared data)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    figures: dict = {}
    if not args.no_pipeline:
        if not CLIP.is_file():
            print(f"part 1 skipped: {CLIP} is not here (set SERENO_SHARED_DATA)")
        else:
            rows = asyncio.run(pipeline(args.pipeline_seconds))
            figures["pipeline"] = rows
            print(f"1. live camera -> alert -> browser, {len(rows)} alerts in {args.pipeline_seconds:.0f} s")
            print(f"   from the car's last frame: {summary([r['from_last_frame_s'] for r in rows])}")
            print(f"   from the alert's creation: {summary([r['from_creation_s'] for r in rows])}")
    print("2. one alert to N open event streams (alert created -> each client)")
    figures["fan_out"] = []
    for count in (int(c) for c in args.clients.split(",")):
        result = asyncio.run(fan_out(count, args.rounds))
        figures["fan_out"].append({k: v for k, v in result.items() if k != "delays_s"}
                                  | {"p50_s": percentile(result["delays_s"], 50) if result["delays_s"] else None,
                                     "p95_s": percentile(result["delays_s"], 95) if result["delays_s"] else None})
        print(f"   {count:5d} clients: {summary(result['delays_s'])}   delivered {result['deliveries']}/"
              f"{result['expected']}, {result['clients_with_every_alert']} clients got every alert")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
