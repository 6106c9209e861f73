"""The tracker turns per-frame detections into one track per passing object (pure logic, boxes in, tracks out)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np

from sereno.domain import Detection, Frame, PlateRead
from sereno.pipeline.tracker import MAX_READS_PER_TRACK, READ_ATTEMPTS, READS_ENOUGH, PlateObservation, Tracker

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
IMAGE = np.zeros((720, 1280, 3), np.uint8)


def frame(i: int, fps: float = 5.0) -> Frame:
    return Frame("cam", i, T0 + timedelta(seconds=i / fps), IMAGE)


def car(x: float, y: float = 300, w: float = 200, h: float = 150, score: float = 0.9, label: str = "car") -> Detection:
    return Detection((x, y, x + w, y + h), score, label)


def plate_in(vehicle: Detection, text: str, confidence: float = 0.9) -> PlateObservation:
    x1, y1, x2, y2 = vehicle.box
    box = (x1 + 60, y2 - 40, x1 + 140, y2 - 15)
    return PlateObservation(Detection(box, 0.8, "plate"), PlateRead(text, confidence, box=box))


def run(tracker: Tracker, frames: list[tuple[list[Detection], list[PlateObservation]]]):
    ended = []
    for i, (objects, plates) in enumerate(frames):
        ended += tracker.update(frame(i), objects, plates)
    return ended + tracker.flush()


def test_one_passing_car_is_one_track_with_all_its_plate_reads():
    cars = [car(100 + 40 * i) for i in range(10)]  # moves 40 px per analysed frame
    ended = run(Tracker("cam"), [([c], [plate_in(c, "LS15EBC")]) for c in cars])
    assert len(ended) == 1
    track = ended[0].track
    assert track.label == "car" and track.hits == 10 and len(track.plate_reads) == 10
    assert ended[0].best_plate_box is not None and ended[0].best_frame is not None


def test_two_cars_side_by_side_stay_apart_and_keep_their_own_plates():
    frames = []
    for i in range(6):
        left, right = car(100 + 30 * i), car(800 - 30 * i, y=320)
        frames.append(([left, right], [plate_in(left, "AAA1111"), plate_in(right, "BBB2222")]))
    ended = run(Tracker("cam"), frames)
    assert all(len({r.text for r in t.track.plate_reads}) == 1 for t in ended)
    assert sorted(t.track.plate_reads[0].text for t in ended) == ["AAA1111", "BBB2222"]


def test_a_track_ends_after_the_timeout_and_a_later_car_is_a_new_track():
    tracker = Tracker("cam", timeout_s=1.0)
    ended = []
    for i in range(4):
        ended += tracker.update(frame(i), [car(100 + 20 * i)], [])
    for i in range(4, 12):  # empty road for 1.6 s
        ended += tracker.update(frame(i), [], [])
    assert len(ended) == 1
    for i in range(12, 15):
        ended += tracker.update(frame(i), [car(100 + 20 * i)], [])
    ended += tracker.flush()
    assert len(ended) == 2 and ended[0].track.id != ended[1].track.id


def test_a_plate_without_a_vehicle_box_becomes_a_vehicle_track():
    plates = []
    for i in range(5):
        box = (500 + 10 * i, 400, 600 + 10 * i, 430)
        plates.append(([], [PlateObservation(Detection(box, 0.8, "plate"), PlateRead("MXA1207", 0.8, box=box))]))
    ended = run(Tracker("cam"), plates)
    assert len(ended) == 1 and ended[0].track.label == "vehicle" and len(ended[0].track.plate_reads) == 5


def test_a_plate_seen_when_the_vehicle_box_is_missed_joins_the_vehicle_track():
    c0, c1, c2 = car(100), car(140), car(180)
    loose = plate_in(c1, "LS15EBC")  # detector missed the car in this frame, the plate is inside where it should be
    ended = run(Tracker("cam"), [([c0], [plate_in(c0, "LS15EBC")]), ([], [loose]), ([c2], [])])
    assert len(ended) == 1 and len(ended[0].track.plate_reads) == 2


def test_single_frame_false_detections_give_no_track():
    ended = run(Tracker("cam"), [([car(100, score=0.6)], []), ([], []), ([], [])])
    assert ended == []


def test_memory_per_track_is_bounded():
    cars = [car(100 + i % 3) for i in range(MAX_READS_PER_TRACK * 3)]
    ended = run(Tracker("cam"), [([c], [plate_in(c, "ABC1234", confidence=(i % 10) / 10)]) for i, c in
                                 enumerate(cars)])
    reads = ended[0].track.plate_reads
    assert len(reads) == MAX_READS_PER_TRACK and min(r.confidence for r in reads) >= 0.5  # the weakest were dropped


def test_live_tracks_are_bounded():
    tracker = Tracker("cam", max_tracks=4)
    tracker.update(frame(0), [car(100 * i, y=10 * i, w=50, h=50) for i in range(10)], [])
    assert len(tracker.tracks) == 4


def test_a_plate_is_not_read_again_once_its_track_has_enough_agreeing_reads_unless_it_comes_closer():
    tracker = Tracker("cam")
    vehicle = car(100)
    for i in range(READS_ENOUGH):
        plate = plate_in(vehicle, "LS15EBC")
        assert tracker.claim_read(plate.detection.box, frame(i).timestamp)
        tracker.update(frame(i), [vehicle], [plate])
    same_size = plate_in(vehicle, "LS15EBC").detection.box
    at = frame(READS_ENOUGH).timestamp
    assert not tracker.claim_read(same_size, at)
    x1, y1, x2, y2 = same_size
    closer = (x1 - 20, y1 - 10, x2 + 20, y2 + 10)  # the car came closer: a bigger, sharper plate
    assert tracker.claim_read(closer, at)
    assert tracker.claim_read((900, 600, 980, 625), at)  # a plate elsewhere belongs to no track yet


def test_an_illegible_plate_is_tried_a_bounded_number_of_times():
    tracker = Tracker("cam")
    vehicle = car(100)
    attempts = 0
    for i in range(READ_ATTEMPTS * 2):
        plate = plate_in(vehicle, "X")
        attempts += tracker.claim_read(plate.detection.box, frame(i).timestamp)
        tracker.update(frame(i), [vehicle], [PlateObservation(plate.detection, None)])
    assert attempts == 1 + READ_ATTEMPTS  # the first, before the track existed, then the counted ones


def test_plate_fragments_are_not_kept_as_reads():
    vehicle = car(100)
    ended = run(Tracker("cam"), [([vehicle], [plate_in(vehicle, "R2")]), ([vehicle], [plate_in(vehicle, "R2")])])
    assert ended[0].track.plate_reads == []


def test_a_plate_seen_before_its_vehicle_is_detected_ends_up_in_the_vehicle_sighting():
    c0, c1, c2 = car(100), car(140), car(180)
    frames = [([], [plate_in(c0, "LS15EBC")]),  # object detector not run on this frame
              ([c1], [plate_in(c1, "LS15EBC")]),
              ([c2], [plate_in(c2, "LS15EBC")])]
    ended = run(Tracker("cam"), frames)
    assert len(ended) == 1 and ended[0].track.label == "car" and len(ended[0].track.plate_reads) == 3
    assert ended[0].track.first_seen == T0


def test_plates_are_looked_for_where_tracked_vehicles_will_be_until_they_are_read():
    tracker = Tracker("cam")
    moving, far, person = car(100), car(900, w=100, h=70), car(600, label="person")
    tracker.update(frame(0), [moving, far, person], [])
    tracker.update(frame(1), [car(140), far, person], [])  # moves 40 px per analysed frame
    regions = tracker.regions(frame(2).timestamp)
    assert len(regions) == 1  # not the person, nor a car too far away for its plate to be legible
    x1, y1, x2, y2 = regions[0]
    assert x1 < 180 and x2 > 180 + 200 and y1 < 300 and y2 > 450  # where the car will be, with a margin
    for i in range(2, 2 + READS_ENOUGH):
        vehicle = car(40 * i + 100)
        plate = plate_in(vehicle, "LS15EBC")
        tracker.claim_read(plate.detection.box, frame(i).timestamp)
        tracker.update(frame(i), [vehicle, far, person], [plate])
    assert tracker.regions(frame(2 + READS_ENOUGH).timestamp) == []  # read: the plate detector can rest


def test_a_plate_only_track_is_always_looked_for_around_its_plate():
    tracker = Tracker("cam")
    plate = plate_in(car(100), "LS15EBC")
    for i in range(READS_ENOUGH + 1):
        tracker.update(frame(i), [], [plate])  # the object detector never sees this car (at night, say)
    (region,) = tracker.regions(frame(READS_ENOUGH + 1).timestamp)
    px1, py1, px2, py2 = plate.detection.box
    assert region[0] < px1 and region[1] < py1 and region[2] > px2 and region[3] > py2
