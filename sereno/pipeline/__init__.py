"""Per-camera analysis: frames -> detections -> tracks -> one Sighting per passing object, and the runner."""
