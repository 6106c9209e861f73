"""Video in: the camera list, frame sources (files, RTSP, HTTP) decoded at the analysis rate, the motion gate."""
