"""Plate and object detectors on real photos and video frames (../shared/data), with the installed models."""

from __future__ import annotations

import csv

import av
import cv2
import numpy as np
import pytest

from sereno.config import load_settings
from sereno.domain import Detection
from sereno.vision.detectors import ObjectDetector, PhotoPlateDetector, PlateDetector
from sereno.vision.models import ModelMissing
from sereno.vision.yolo import iou_matrix
from tests.realdata import shared_file

# A spread of the end-to-end photos: close-ups, a 1080p frame, parking-lot CCTV at 720p (small plates that the
# first pass at 640 misses: 21d8c31d, 33fa5185, wts-lg-000079).
PHOTOS = ["car1", "us1", "0b86cecf-67d1-4fc0-87c9-b36b0ee228bb", "21d8c31d-3deb-494b-9c63-c0223306fd82",
          "33fa5185-0286-4e8f-b775-46162eba39d4", "wts-lg-000079"]


@pytest.fixture(scope="module")
def detectors(tmp_path_factory):
    settings = load_settings(tmp_path_factory.mktemp("data"))
    try:
        return PlateDetector(settings), ObjectDetector(settings)
    except ModelMissing as exc:
        pytest.skip(f"detector models not installed: {exc}")


def labelled(name: str) -> tuple[np.ndarray, np.ndarray]:
    label = shared_file(f"alpr/openalpr-us-endtoend/{name}.txt")
    file, x, y, w, h = label.read_text().strip().split("\t")[:5]
    x0, y0 = float(x), float(y)
    return cv2.imread(str(label.with_name(file))), np.array([[x0, y0, x0 + float(w), y0 + float(h)]])


def best_iou(truth: np.ndarray, found: list[Detection]) -> float:
    return float(iou_matrix(truth, np.array([d.box for d in found]))[0].max()) if found else 0.0


def frame(video: str, index: int) -> np.ndarray:
    with av.open(str(shared_file(f"video/{video}"))) as container:
        for i, decoded in enumerate(container.decode(video=0)):
            if i == index:
                return decoded.to_ndarray(format="bgr24")
    raise AssertionError(f"{video} has fewer than {index + 1} frames")


@pytest.mark.parametrize("name", PHOTOS)
def test_plate_found_on_real_photo(detectors, name):
    plates, _ = detectors
    image, truth = labelled(name)
    found = plates.detect(image)
    assert best_iou(truth, found) >= 0.3, f"{name}: {found}"
    assert all(d.label == "plate" and 0 < d.score <= 1 for d in found)


def test_tilted_plate_is_found(detectors):
    plates, _ = detectors
    image, truth = labelled("car1")
    x1, y1, x2, y2 = truth[0]
    turn = cv2.getRotationMatrix2D(((x1 + x2) / 2, (y1 + y2) / 2), 15, 1.0)
    rotated = cv2.warpAffine(image, turn, (image.shape[1], image.shape[0]), borderMode=cv2.BORDER_REPLICATE)
    corners = cv2.transform(np.array([[[x1, y1], [x2, y1], [x2, y2], [x1, y2]]], np.float32), turn)[0]
    tilted_truth = np.array([[*corners.min(axis=0), *corners.max(axis=0)]])
    assert best_iou(tilted_truth, plates.detect(rotated)) >= 0.3


def test_the_squeezed_pass_puts_a_european_plate_where_it_is(detectors, tmp_path):
    """The pass for long plates (still photos) looks at the frame at half its width; its boxes must come back in
    the frame's coordinates. On the demo clip's UK plate (4.7:1) it finds the plate alone, where the whole-frame
    pass does; with both passes the detector returns exactly what the other passes found (the squeezed pass only
    adds plates they miss, it never moves a box)."""
    plates, _ = detectors
    image = frame("car-approach-plate-LS15EBC.mp4", 60)
    normal = plates.detect(image)  # the UK plate first, then a far car's plate at the left edge
    squeezing = PlateDetector(load_settings(tmp_path), squeeze=True)
    squeezed_alone = [Detection(box, score, "plate") for box, score in squeezing._squeezed_pass(image)]
    assert best_iou(np.array([normal[0].box]), squeezed_alone) >= 0.7
    assert squeezing.detect(image) == normal


def test_a_plate_that_fills_the_photo_is_found_zoomed_out(detectors, tmp_path):
    """Cropped plates given as photos (12 real Brazilian crops, about 160x80 px): the detector learnt plates in
    street scenes and misses them; zoomed out it finds most, and their boxes come back in the photo's pixels,
    covering it. The zoom-out pass looks only where nothing else was found: a frame with plates is unchanged, and
    an empty one stays empty."""
    plates, _ = detectors
    zooming = PlateDetector(load_settings(tmp_path), zoom_out=True)
    folder = shared_file("alpr/br-crops")
    with (folder / "labels.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    photos = [cv2.imread(str(folder / row["file"])) for row in rows[::len(rows) // 12][:12]]
    assert sum(bool(plates.detect(photo)) for photo in photos) <= 2
    found = [(photo, zooming.detect(photo)) for photo in photos]
    assert sum(bool(boxes) for _, boxes in found) >= 8
    # A large photo of a plate (a phone's) is shrunk before the canvas is made; its boxes come back all the same.
    large = cv2.resize(photos[0], None, fx=12, fy=12, interpolation=cv2.INTER_CUBIC)
    found.append((large, zooming._zoomed_out(large)))
    for photo, boxes in found:
        whole = np.array([[0, 0, photo.shape[1], photo.shape[0]]])
        assert all(best_iou(whole, [box]) >= 0.8 for box in boxes), boxes
    assert found[-1][1], "the enlarged plate was not found"
    image = frame("car-approach-plate-LS15EBC.mp4", 60)
    normal = plates.detect(image)
    assert normal and zooming.detect(image) == normal
    assert zooming.detect(np.full((720, 1280, 3), 128, np.uint8)) == []


def test_no_plates_in_an_empty_scene(detectors):
    plates, objects = detectors
    grey = np.full((720, 1280, 3), 128, np.uint8)
    assert plates.detect(grey) == [] and objects.detect(grey) == []
    assert plates.detect(np.zeros((20, 30, 3), np.uint8)) == []  # smaller than any plate: no error either


def test_car_and_its_plate_in_the_video(detectors):
    plates, objects = detectors
    image = frame("car-approach-plate-LS15EBC.mp4", 100)
    vehicles = objects.detect(image)
    car = max((d for d in vehicles if d.label == "car"), key=lambda d: d.score)
    found = plates.detect(image, vehicles=vehicles)
    assert found, "the LS15EBC plate was not found"
    x1, y1, x2, y2 = found[0].box
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    assert car.box[0] <= cx <= car.box[2] and car.box[1] <= cy <= car.box[3]
    assert 2.0 <= (x2 - x1) / (y2 - y1) <= 8.0  # a one-line plate's shape, not the car's bumper


@pytest.mark.parametrize("video, index", [("highway-320x240-a.avi", 300), ("highway-320x240-b.avi", 300)])
def test_vehicles_on_the_highway(detectors, video, index):
    _, objects = detectors
    labels = [d.label for d in objects.detect(frame(video, index))]
    assert sum(label in {"car", "truck", "bus"} for label in labels) >= 1, labels


def test_persons_in_the_street(detectors):
    _, objects = detectors
    found = objects.detect(frame("street-pedestrians-vtest.avi", 100))
    persons = [d for d in found if d.label == "person"]
    assert len(persons) >= 3, found
    assert {d.label for d in found} <= {"car", "truck", "bus", "motorcycle", "bicycle", "person"}


def test_the_fixed_size_object_detector_retargeted_to_the_frame_finds_what_the_square_one_finds(tmp_path):
    """The COCO graph ships at 640x640; re-targeted to 640x384 a 720p frame is not padded, for the same boxes."""
    onnxruntime = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx", reason="re-targeting edits the graph with the onnx package")
    from sereno.vision.models import OBJECT_DETECTOR, model_path
    from sereno.vision.yolo import decode, letterbox, nms
    from sereno.vision.yolo_graph import retarget

    try:
        original = model_path(load_settings(tmp_path), OBJECT_DETECTOR).read_bytes()
    except ModelMissing as exc:
        pytest.skip(f"detector models not installed: {exc}")
    labels, thresholds = {2: "car", 0: "person"}, {"car": 0.3, "person": 0.3}

    def boxes(model: bytes, image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
        session = onnxruntime.InferenceSession(model, providers=["CPUExecutionProvider"])
        tensor, transform = letterbox(image, shape)
        found = decode(session.run(None, {"images": tensor})[0], transform, labels, thresholds, image.shape[:2])
        return found.boxes[nms(found, 0.45)]

    image = frame("car-approach-plate-LS15EBC.mp4", 100)
    square = boxes(original, image, (640, 640))
    wide = boxes(retarget(original, 384, 640), image, (384, 640))
    assert len(square) >= 2 and len(wide) == len(square)
    assert (iou_matrix(square, wide).max(axis=1) > 0.9).all()


def test_retargeting_refuses_a_graph_it_does_not_know(tmp_path):
    pytest.importorskip("onnx", reason="re-targeting edits the graph with the onnx package")
    from sereno.vision.models import PLATE_DETECTOR, model_path
    from sereno.vision.yolo_graph import GraphLayoutError, retarget

    try:
        dynamic = model_path(load_settings(tmp_path), PLATE_DETECTOR).read_bytes()
    except ModelMissing as exc:
        pytest.skip(f"detector models not installed: {exc}")
    with pytest.raises(GraphLayoutError, match="not a fixed"):
        retarget(dynamic, 384, 640)
    with pytest.raises(ValueError, match="multiples of 32"):
        retarget(dynamic, 380, 640)


def test_plates_looked_for_inside_the_car_only_are_the_plates_the_whole_frame_shows_there(detectors):
    plates, objects = detectors
    image = frame("car-approach-plate-LS15EBC.mp4", 100)
    car = max((d for d in objects.detect(image) if d.label == "car"), key=lambda d: d.score)
    whole = plates.detect(image)
    inside = plates.detect_in(image, [car.box])
    assert inside and iou_matrix(np.array([whole[0].box]), np.array([inside[0].box]))[0, 0] > 0.8
    assert plates.detect_in(image, [(1000, 600, 1200, 700)]) == []  # the road in front: no plate there
    assert plates.detect_in(image, []) == []


def test_a_far_cars_plate_missed_at_the_whole_frames_resolution_is_found_inside_its_enlarged_vehicle(
        detectors, tmp_path):
    """The car parked at the left edge of the LS15EBC clip (frame 70: 130 px wide, its plate about 33 px): looked at
    with the whole-frame pass's resolution, as the camera pipeline did before, its plate is not found; its region
    enlarged to 640 px (the ``plate_region_input`` default) shows it."""
    plates, objects = detectors
    image = frame("car-approach-plate-LS15EBC.mp4", 70)
    far = min((d for d in objects.detect(image) if d.label == "car"), key=lambda d: d.box[2] - d.box[0])
    assert far.box[2] - far.box[0] < 200
    assert PlateDetector(load_settings(tmp_path), region_input=0).detect_in(image, [far.box]) == []
    found = plates.detect_in(image, [far.box])
    assert len(found) == 1
    x1, y1, x2, y2 = found[0].box
    assert far.box[0] <= x1 < x2 <= far.box[2] and far.box[1] <= y1 < y2 <= far.box[3]
    assert 20 <= x2 - x1 <= 60 and 2 <= (x2 - x1) / (y2 - y1) <= 5  # plate-shaped, a plate's size


def inside(box, vehicle) -> bool:
    return vehicle[0] <= box[0] and box[2] <= vehicle[2] and vehicle[1] <= box[1] and box[3] <= vehicle[3]


def test_a_photo_is_searched_inside_its_vehicles_too(detectors, tmp_path):
    """``sereno eval alpr``'s detector, on the overhead parking-lot video (frame 230): the whole-frame passes miss
    the red car's rear plate (29x19 px); looking inside the vehicles the object detector finds adds it."""
    plates, objects = detectors
    image = frame("parking-lot-overhead.mp4", 230)
    cars = [d.box for d in objects.detect(image) if d.label in ("car", "truck")]
    photo = PhotoPlateDetector(load_settings(tmp_path)).detect(image)
    found_in_cars = [d for d in photo if any(inside(d.box, car) for car in cars)]
    assert len(found_in_cars) == 1
    x1, y1, x2, y2 = found_in_cars[0].box
    assert 20 <= x2 - x1 <= 40 and 1.2 <= (x2 - x1) / (y2 - y1) <= 3
    whole_frame = plates.detect(image)
    assert not whole_frame or iou_matrix(np.array([found_in_cars[0].box]),
                                         np.array([d.box for d in whole_frame])).max() < 0.3


def test_an_enlarged_van_is_not_taken_for_its_plate(detectors, tmp_path, monkeypatch):
    """The white van parked in the street video, enlarged inside its region, looks like a plate to the detector
    from edge to edge; such boxes are dropped (the van's real plate, ~15 px wide, is beyond reach)."""
    import sereno.vision.detectors as module

    _, objects = detectors
    image = frame("street-pedestrians-vtest.avi", 0)
    van = next(d.box for d in objects.detect(image) if d.label == "truck")  # the COCO model calls it a truck
    van_area = (van[2] - van[0]) * (van[3] - van[1])
    plates = PlateDetector(load_settings(tmp_path))

    def large(found):
        return [d for d in found if (d.box[2] - d.box[0]) * (d.box[3] - d.box[1]) >= 0.25 * van_area]

    assert not large(plates.detect_in(image, [van]))
    monkeypatch.setattr(module, "MAX_REGION_SHARE", 1.0)  # without the filter the van itself is "found"
    assert large(plates.detect_in(image, [van]))


def test_regions_are_enlarged_to_the_setting_at_most_twice_and_never_below_the_whole_frame_scale():
    """``PlateDetector.region_size`` alone (no model needed): a 1280x720 frame's whole-frame pass runs at 640."""
    detector = object.__new__(PlateDetector)
    detector.size, detector.region_input = 640, 640
    assert detector.region_size(400, 1280) == 640  # a car 400 px wide: enlarged 1.6x
    assert detector.region_size(200, 1280) == 400  # at most twice
    assert detector.region_size(1280, 1280) == 640  # the whole frame: the whole-frame pass's own size
    assert detector.region_size(300, 320) == 600  # a 320x240 stream: the whole-frame scale (2x) already
    assert detector.region_size(2000, 3840) == 640  # 4K: a big car is still looked at 640 px wide
    assert detector.region_size(4, 1280) == 32  # never below one stride
    detector.region_input = 0  # the setting's 0: the whole-frame pass's resolution, as before
    assert detector.region_size(400, 1280) == 200 and detector.region_size(300, 320) == 600


def test_the_int8_detector_finds_the_plates_the_float_one_finds(tmp_path):
    """The quantized detector (committed; sereno/training/quantize.py) against the installed float one, on real
    photos and video frames: the same plates, in nearly the same boxes (the reader crops from them)."""
    settings = load_settings(tmp_path)
    try:
        exact = PlateDetector(settings)
    except ModelMissing as exc:
        pytest.skip(f"detector models not installed: {exc}")
    quantized = PlateDetector(settings, precision="int8")
    assert exact.model.path.name == "plate_yolov8n.onnx"  # float is the default
    assert quantized.model.path.name == "plate_yolov8n_int8.onnx" and quantized.placer.path == exact.model.path
    images = [labelled(name)[0] for name in PHOTOS] + [frame("car-approach-plate-LS15EBC.mp4", i) for i in (60, 100)]
    for image in images:
        wanted = [d for d in exact.detect(image) if d.score >= 0.5]  # clear plates; weak ones may come and go
        found = quantized.detect(image)
        assert wanted, "no clear plate in a photo chosen for showing one"
        overlaps = iou_matrix(np.array([d.box for d in wanted]), np.array([d.box for d in found])) if found else [[0]]
        assert np.max(overlaps, axis=1).min() >= 0.7, (wanted, found)


def test_the_plate_detector_precision_is_a_setting(tmp_path, monkeypatch):
    from sereno.config import ConfigError

    monkeypatch.setenv("SERENO_PLATE_DETECTOR_PRECISION", "int8")
    assert load_settings(tmp_path).plate_detector_precision == "int8"
    monkeypatch.setenv("SERENO_PLATE_DETECTOR_PRECISION", "int4")
    with pytest.raises(ConfigError, match="plate_detector_precision"):
        load_settings(tmp_path)
    with pytest.raises(ValueError, match="int8 or float"):
        PlateDetector(load_settings(tmp_path / "other", plate_detector_precision="float"), precision="half")


def test_the_size_at_which_vehicles_are_looked_at_is_a_setting(tmp_path, monkeypatch):
    from sereno.config import ConfigError

    assert load_settings(tmp_path).plate_region_input == 640
    monkeypatch.setenv("SERENO_PLATE_REGION_INPUT", "0")
    assert load_settings(tmp_path).plate_region_input == 0
    monkeypatch.setenv("SERENO_PLATE_REGION_INPUT", "4000")
    with pytest.raises(ConfigError, match="plate_region_input"):
        load_settings(tmp_path)


def test_quantizing_the_plate_detector_gives_a_detector_that_still_finds_the_plate(tmp_path):
    """tools/quantize_plate_detector.py's steps, on a few real video frames: record the float detector's inputs,
    quantize, and the int8 model finds the plate the float one finds."""
    pytest.importorskip("onnx", reason="quantization edits the graph with the onnx package")
    import onnxruntime

    from sereno.training.quantize import detector_inputs, quantize

    settings = load_settings(tmp_path, inference_runtime="onnxruntime")  # as the tool records them
    try:
        exact = PlateDetector(settings, threads=1)
    except ModelMissing as exc:
        pytest.skip(f"detector models not installed: {exc}")
    frames = [frame("car-approach-plate-LS15EBC.mp4", i) for i in (40, 100)]
    inputs = detector_inputs(exact, frames)
    assert len(inputs) >= 2 * len(frames)  # the whole frame, the detail pass, a refinement window per plate
    assert isinstance(exact.model.session, onnxruntime.InferenceSession)  # its own session is back in place
    quantize(exact.model.path, tmp_path / "int8.onnx", inputs)
    quantized = PlateDetector(settings, threads=1, model_file=tmp_path / "int8.onnx")
    wanted, found = exact.detect(frames[1])[0], quantized.detect(frames[1])
    assert found and iou_matrix(np.array([wanted.box]), np.array([d.box for d in found])).max() >= 0.5
