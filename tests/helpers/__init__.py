"""Shared test helpers: real media, real models, a real RTSP server and their fixtures."""
