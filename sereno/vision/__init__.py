"""Pure functions on pixels: detect vehicles, persons and plates (``detectors``), read plates (``plate_reader``).

Models come from ``sereno models install`` (``models``) and run on ONNX Runtime or OpenVINO (``onnx``); nothing
here opens a camera or a database.
"""
