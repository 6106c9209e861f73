"""Throughput of the camera pipeline on one CPU core: how many 720p H.264 streams it sustains at 5 analysis fps
with motion gating, against a naive loop that decodes every frame and runs both detectors on the whole of each
(plate reads scheduled as in the worker). Prints CPU per stream-second, CPU per stage (object detector, plate
detector, reader, the rest) and the share of the naive loop's plate reads the fast path keeps; asserts nothing.
Each camera's models see one frame before the clock starts (a worker makes its sessions for the stream's input
shape once, at start).

    taskset -c 0 .venv/bin/python benchmarks/throughput.py [--passes 10] [--still-seconds 3] [--concurrent 4]

Input: ../shared/data/video/car-approach-plate-LS15EBC.mp4 (1280x720 H.264, 30 fps): the naive loop and the
fast path each process it in separate passes (one passing car each); for the memory check it is looped by stream
copy (ffmpeg -stream_loop, no re-encode) into one long stream.
Needs the models (`sereno models install`).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import nullcontext
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sereno.config import load_settings  # noqa: E402
from sereno.domain import Camera, Sighting  # noqa: E402
from sereno.pipeline.analysis import VisionAnalyser  # noqa: E402
from sereno.pipeline.runner import process_file  # noqa: E402
from sereno.store import Store  # noqa: E402
from sereno.video.sources import FrameSource  # noqa: E402

from shared_data import SHARED  # noqa: E402
CLIP = SHARED / "video" / "car-approach-plate-LS15EBC.mp4"
PAGE = os.sysconf("SC_PAGE_SIZE")
LEGIBLE = 0.5  # consensus confidence above which the naive loop's read is taken as a legible plate


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * PAGE / 2**20


def with_still_street(clip: Path, still_seconds: float, folder: Path) -> Path:
    """The clip followed by ``still_seconds`` of its last frame held: a street camera after the car has passed
    (re-encoded once with libx264, 2 s GOP like a camera's)."""
    target = folder / f"{clip.stem}-still{still_seconds:g}.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(clip), "-vf",
                    f"tpad=stop_mode=clone:stop_duration={still_seconds}", "-an", "-c:v", "libx264", "-preset",
                    "veryfast", "-g", "60", "-bf", "0", str(target)], check=True)
    return target


def looped(clip: Path, loops: int, folder: Path) -> Path:
    target = folder / f"{clip.stem}-x{loops}.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", str(loops - 1), "-i", str(clip), "-c", "copy",
                    str(target)], check=True)
    return target


def stream_seconds(path: Path) -> float:
    source = FrameSource("probe", str(path), analysis_fps=1)
    for _ in source:
        pass
    return source.stats.frames_decoded / (source.stream_fps or 30.0)


def thread_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_THREAD)
    return usage.ru_utime + usage.ru_stime


class VideoOnly:
    """Finds nothing: measures decoding, conversion and the motion gate alone (--video-only)."""

    def detect(self, image_bgr, objects=True, regions=None):
        return [], []

    def read(self, image_bgr, box):
        return None


class EveryModel:
    """The naive loop's analyser: both detectors on the whole of every frame, whatever the worker asks for."""

    def __init__(self, analyser: VisionAnalyser) -> None:
        self.analyser = analyser

    def detect(self, image_bgr, objects=True, regions=None):
        return self.analyser.detect(image_bgr, objects=True, regions=None)

    def read(self, image_bgr, box):
        return self.analyser.read(image_bgr, box)


def timed(analyser: VisionAnalyser, stages: Counter) -> VisionAnalyser:
    """The analyser with its models' calls adding their thread CPU seconds to ``stages`` (objects, plates, read)."""
    def wrap(owner: object, name: str, stage: str) -> None:
        call = getattr(owner, name)

        def measured(*args, **kwargs):
            start = thread_cpu_seconds()
            try:
                return call(*args, **kwargs)
            finally:
                stages[stage] += thread_cpu_seconds() - start
        setattr(owner, name, measured)

    wrap(analyser.objects, "detect", "objects")
    wrap(analyser.plates, "detect", "plates")
    wrap(analyser.plates, "detect_in", "plates")
    wrap(analyser, "read", "read")
    return analyser


def warm_up(analyser, video: Path) -> None:
    """One frame through the models first: a camera's sessions for its input shape are made once, at start."""
    for frame in FrameSource("warm-up", str(video), analysis_fps=1):
        analyser.detect(frame.image, objects=True, regions=None)
        analyser.detect(frame.image, objects=False, regions=[(0, 0, frame.image.shape[1] / 2, frame.image.shape[0])])
        return


def run_path(label: str, data: Path, video: Path, fps: float, gate: bool, models_dir: str | None,
             video_only: bool = False, store: Store | None = None, passes: int = 1, naive: bool = False,
             warmed: threading.Barrier | None = None) -> dict:
    """Process ``video`` ``passes`` times in this thread (each pass a fresh source and tracker, as separate
    cars would be); CPU time, counts, plates read, CPU per stage and RSS over the run."""
    settings = load_settings(data, motion_threshold=0.004 if gate else -1.0, models_dir=models_dir)
    camera = Camera(label, label, 32.5, -117.0, str(video), analysis_fps=fps)
    stages: Counter[str] = Counter()
    analyser = VideoOnly() if video_only else timed(VisionAnalyser(settings), stages)
    if naive and not video_only:
        analyser = EveryModel(analyser)
    plates: Counter[str] = Counter()
    confidence: dict[str, float] = {}
    rss: list[float] = []
    totals: Counter[str] = Counter()

    def on_sighting(sighting: Sighting, alerts: list) -> None:
        if sighting.plate:
            plates[sighting.plate.text] += 1
            confidence[sighting.plate.text] = max(confidence.get(sighting.plate.text, 0.0), sighting.plate.confidence)

    def on_frame(index: int) -> None:
        if index % 600 == 0:
            rss.append(rss_mb())

    warm_up(analyser, video)
    stages.clear()
    if warmed is not None:
        warmed.wait()
    with Store.open(settings) if store is None else nullcontext(store) as opened:
        cpu0, wall0 = cpu_seconds(), time.perf_counter()
        for _ in range(passes):
            report = process_file(settings, camera, str(video), opened, analyser, on_sighting=on_sighting,
                                  on_frame=on_frame)
            totals.update({"decoded": report.frames_decoded, "analysed": report.frames_analysed,
                           "inferred": report.frames_inferred, "sightings": report.sightings})
        cpu, wall = cpu_seconds() - cpu0, time.perf_counter() - wall0
    return {"label": label, "cpu": cpu, "wall": wall, "totals": totals, "plates": plates, "rss": rss,
            "passes": passes, "confidence": confidence, "stages": stages}


def concurrent(data: Path, video: Path, streams: int, passes: int, models_dir: str | None,
               video_only: bool) -> tuple[float, float]:
    """``streams`` cameras at once: threads sharing one Store, as `sereno run` does; wall and CPU seconds."""
    with Store.open(load_settings(data / "concurrent", models_dir=models_dir)) as store:
        warmed = threading.Barrier(streams + 1)
        threads = [threading.Thread(target=run_path, args=(f"cam{i}", data / "concurrent", video, 5, True,
                                                           models_dir, video_only, store, passes),
                                    kwargs={"warmed": warmed})
                   for i in range(streams)]
        for thread in threads:
            thread.start()
        warmed.wait()
        cpu0, wall0 = cpu_seconds(), time.perf_counter()
        for thread in threads:
            thread.join()
        return time.perf_counter() - wall0, cpu_seconds() - cpu0


def report(result: dict, seconds: float) -> None:
    t, cpu = result["totals"], result["cpu"]
    per_stream = cpu / seconds
    per_pass = {f"{k} (conf {result['confidence'][k]:.2f})": round(v / result["passes"], 2)
                for k, v in result["plates"].most_common()}
    print(f"\n[{result['label']}] {seconds:.0f} s of video in {cpu:.1f} CPU s ({result['wall']:.1f} s wall)")
    print(f"  per CPU second: {t['decoded'] / cpu:.0f} frames decoded, {t['analysed'] / cpu:.1f} analysed, "
          f"{t['sightings'] / cpu:.2f} sightings; frames past the motion gate: {t['inferred']} of {t['analysed']}")
    print(f"  plates per pass: {per_pass}")
    if t["inferred"] and result["stages"]:
        stages = dict(result["stages"], **{"video, tracking, store": cpu - sum(result["stages"].values())})
        print("  CPU ms per frame past the gate: " + ", ".join(
            f"{name} {1000 * seconds / t['inferred']:.1f}" for name, seconds in stages.items()))
    print(f"  CPU per stream-second: {per_stream:.3f} -> streams per core: {1 / per_stream:.2f}")


def reads_kept(naive: dict, fast: dict, naive_passes: int, fast_passes: int) -> None:
    naive_per_pass = {k: v / naive_passes for k, v in naive["plates"].items()}
    fast_per_pass = {k: v / fast_passes for k, v in fast["plates"].items()}
    for name, minimum in (("all plate reads", 0.0), (f"reads with confidence >= {LEGIBLE}", LEGIBLE)):
        wanted = {k: v for k, v in naive_per_pass.items() if naive["confidence"][k] >= minimum}
        total = sum(wanted.values())
        kept = sum(min(fast_per_pass.get(k, 0), v) for k, v in wanted.items())
        print(f"\n{name} of the naive loop found (same text) by the fast path: "
              + (f"{kept / total:.0%} of {total:g} per pass" if total else "none to find"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passes", type=int, default=10, help="passes of the clip for the fast path")
    parser.add_argument("--naive-passes", type=int, default=2, help="passes of the clip for the naive loop")
    # --passes 0 or --naive-passes 0 skips both comparisons (to measure memory alone, in a fresh process)
    parser.add_argument("--memory-loops", type=int, default=40,
                        help="clip repetitions in one long stream for the memory check (0: skip)")
    parser.add_argument("--concurrent", type=int, default=4, help="streams to run at once as a check (0: skip)")
    parser.add_argument("--clip", type=Path, default=CLIP)
    parser.add_argument("--video-only", action="store_true", help="no models: decoding and motion gate only")
    parser.add_argument("--still-seconds", type=float, default=0.0,
                        help="hold the clip's last frame this long after each pass (a street between cars)")
    args = parser.parse_args()
    if not args.clip.is_file():
        sys.exit(f"clip not found: {args.clip} (set SERENO_SHARED_DATA or pass --clip)")
    models_dir = os.environ.get("SERENO_MODELS_DIR")
    with tempfile.TemporaryDirectory(prefix="sereno-bench-") as tmp:
        folder = Path(tmp)
        clip = with_still_street(args.clip, args.still_seconds, folder) if args.still_seconds else args.clip
        clip_seconds = stream_seconds(clip)
        print(f"cpu affinity: {sorted(os.sched_getaffinity(0))}; load average {os.getloadavg()}; "
              f"clip {clip.name} ({clip_seconds:.1f} s)")
        if args.naive_passes and args.passes:
            naive = run_path("naive: every frame, no gate, both detectors on the whole frame", folder / "naive",
                             clip, 1000, False, models_dir, args.video_only, passes=args.naive_passes, naive=True)
            report(naive, clip_seconds * args.naive_passes)
            fast = run_path("fast: 5 fps, motion gate", folder / "fast", clip, 5, True, models_dir, args.video_only,
                            passes=args.passes)
            report(fast, clip_seconds * args.passes)
            reads_kept(naive, fast, args.naive_passes, args.passes)
        if args.memory_loops:
            long_video = looped(clip, args.memory_loops, folder)
            memory = run_path("memory: one long stream", folder / "memory", long_video, 5, True, models_dir,
                              args.video_only)
            report(memory, stream_seconds(long_video))
            rss = memory["rss"]
            print(f"  RSS (MB, every 600 decoded frames): {', '.join(f'{r:.0f}' for r in rss)}")
        if args.concurrent:
            wall, cpu = concurrent(folder, clip, args.concurrent, 3, models_dir, args.video_only)
            seconds = clip_seconds * 3
            print(f"\n{args.concurrent} streams at once ({seconds:.0f} s of video each, as fast as possible): "
                  f"{wall:.1f} s wall, {cpu:.1f} CPU s -> {'sustained' if wall <= seconds else 'NOT sustained'} "
                  f"in real time (real-time factor {seconds / wall:.2f}; other load on the core counts here); "
                  f"by CPU time {args.concurrent * seconds / cpu:.2f} streams per core; process RSS {rss_mb():.0f} MB")

    print(f"\nload average at the end: {os.getloadavg()}")

if __name__ == "__main__":
    main()
