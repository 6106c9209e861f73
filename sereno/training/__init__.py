"""Training of Sereno's own plate recogniser (sereno/vision/plate_ocr.py).

- ``synth``: synthetic plates (Mexican layouts first, then US, EU, Brazilian, Argentine) and camera-like augmentation;
- ``datasets``: the real crop sets, split by plate, and the mixed real + synthetic training stream;
- ``model``: the fixed-slot CNN;
- ``train``: the training loop, evaluation and ONNX export (``python tools/train_plate_ocr.py``).

Needs PyTorch (CPU build is enough) and Pillow; the runtime needs neither.
"""
