"""`detect`: run the detector on one image, video file or stream and print JSON lines.

    python -m argus_engine detect bus.jpg --annotate out.jpg
    python -m argus_engine detect clip.mp4 --fps 5 --max-frames 50
    python -m argus_engine detect rtsp://user:pass@camera/stream --max-frames 100

It prints one JSON object per detection on stdout, with `label`, `class_id`, `score` and
`box` ([x1, y1, x2, y2] in frame pixels). Videos add `frame` (index among detected
frames) and `time` (seconds from the start of the video).
"""

import argparse
import json
import logging
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..detection import Detection
from ..detector.annotate import write_annotated
from ..detector.letterbox import Letterbox, letterbox_for
from ..detector.model import load_model
from ..detector.service import Detector
from ..errors import InputError, ModelNotFoundError, StreamError
from ..model_store import find_model
from ..stream_url import redact, validate_url

_LOGGER = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})
# FFmpeg's tty and bintext demuxers render any text file as "video", which is never a camera picture.
TEXT_ART_CODECS = frozenset({"ansi", "bintext", "xbin", "idf"})
# Seconds to wait for a stream to open and for each read.
STREAM_TIMEOUT = 10.0


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `detect` command."""
    parser = subparsers.add_parser(
        "detect",
        help="detect objects in an image, video file or stream and print JSON lines",
        description="Print one JSON line per detection: label, class_id, score, box [x1, y1, x2, y2] in frame "
        "pixels, plus frame and time (seconds) for videos.",
    )
    parser.add_argument("source", metavar="PATH_OR_URL", help="image (jpg, png, ...), video file, or stream URL")
    parser.add_argument(
        "--model",
        metavar="FILE",
        help="ONNX model file or known model name (default: $ARGUS_MODEL, else yolo26n-640 from models/)",
    )
    parser.add_argument("--labels", metavar="FILE", help="class names: one per line, or a JSON list or object")
    parser.add_argument("--min-score", type=float, default=0.25, metavar="S", help="minimum score 0..1 (default: 0.25)")
    parser.add_argument("--annotate", metavar="OUT.jpg", help="write a JPEG with the boxes (for videos: the frame with the most detections)")
    parser.add_argument("--max-frames", type=int, metavar="N", help="videos: stop after detecting N frames")
    parser.add_argument("--fps", type=float, metavar="F", help="videos: detect at most F frames per second of video (default: every frame)")
    parser.add_argument("--threads", type=int, default=0, metavar="N", help="inference threads (default: every CPU this process may use)")
    return parser


def run(args: argparse.Namespace) -> int:
    """Detect objects in the source, print them as JSON lines and return exit code 0."""
    _check_options(args)
    source = args.source
    is_image = "://" not in source and Path(source).suffix.lower() in IMAGE_SUFFIXES

    # The input is opened before the model is loaded, so bad input fails fast.
    if is_image:
        rgb = read_image(source)
        detector = _open_detector(args)
        _detect_image(detector, rgb, args)
    else:
        container = open_video(source)
        try:
            detector = _open_detector(args)
            _detect_video(detector, container, source, args)
        finally:
            container.close()
    return 0


def _check_options(args: argparse.Namespace) -> None:
    if not 0.0 <= args.min_score <= 1.0:
        raise InputError(f"--min-score must be between 0 and 1, got {args.min_score}")
    if args.max_frames is not None and args.max_frames < 1:
        raise InputError(f"--max-frames must be at least 1, got {args.max_frames}")
    if args.fps is not None and args.fps <= 0:
        raise InputError(f"--fps must be greater than 0, got {args.fps}")
    if args.threads < 0:
        raise InputError(f"--threads must be 0 (every usable CPU) or more, got {args.threads}")


def _open_detector(args: argparse.Namespace) -> Detector:
    path = find_command_model(args.model)
    return Detector(load_model(path, labels_path=args.labels, threads=args.threads))


def find_command_model(option: str | None) -> Path:
    """Find the model from `--model`, else `$ARGUS_MODEL`, else the standard lookup."""
    explicit = option or os.environ.get("ARGUS_MODEL") or None
    try:
        return find_model(explicit=explicit)
    except ModelNotFoundError as err:
        if option is None:
            raise ModelNotFoundError(f"{err}; or pass --model FILE") from None
        raise


def read_image(path: str) -> np.ndarray:
    """Read an image file as RGB uint8 H×W×3, turned upright by its EXIF orientation."""
    try:
        with Image.open(path) as image:
            return np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
    except FileNotFoundError:
        raise InputError(f"input file not found: {path}") from None
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError) as err:
        raise InputError(f"cannot read {path} as an image: {err}") from None


def open_video(source: str) -> av.container.InputContainer:
    """Open a video file or stream URL with PyAV, raising InputError or StreamError with the reason."""
    is_url = "://" in source
    validate_url(source)
    if not is_url and not Path(source).is_file():
        raise InputError(f"input file not found: {source}")

    options = {"rtsp_transport": "tcp"} if source.lower().startswith("rtsp") else {}
    try:
        container = av.open(source, options=options, timeout=(STREAM_TIMEOUT, STREAM_TIMEOUT))
    except (av.error.FFmpegError, OSError) as err:
        if is_url:
            raise StreamError(f"cannot open stream {redact(source)}: {err}") from None
        raise InputError(f"cannot read {source} as an image or video: {err}") from None

    if not container.streams.video:
        container.close()
        raise InputError(f"cannot read {redact(source)} as a video: it has no video stream")
    codec = container.streams.video[0].codec_context.name
    if codec in TEXT_ART_CODECS:
        container.close()
        raise InputError(f"cannot read {redact(source)} as a video: FFmpeg decodes it as text art ({codec})")
    return container


@dataclass(slots=True)
class _BestFrame:
    """The frame with the most detections so far, kept full size for --annotate."""

    rgb: np.ndarray | None = None
    detections: list[Detection] | None = None


def _detect_image(detector: Detector, rgb: np.ndarray, args: argparse.Namespace) -> None:
    detections = detector.detect_image(rgb, min_score=args.min_score)
    for detection in detections:
        _print_line(detection.to_json())
    if args.annotate:
        write_annotated(args.annotate, rgb, detections)
    _LOGGER.info("Found %d objects", len(detections))


def _detect_video(detector: Detector, container: av.container.InputContainer, source: str, args: argparse.Namespace) -> None:
    best = _BestFrame()
    letterboxes: dict[tuple[int, int], Letterbox] = {}
    detected = 0

    for frame, seconds in _sampled_frames(container, source, args.fps):
        size = (frame.width, frame.height)
        if size not in letterboxes:
            letterboxes[size] = letterbox_for(frame.width, frame.height, *detector.model.input_size)
        letterbox = letterboxes[size]

        rgb = frame.reformat(
            width=letterbox.resized_width, height=letterbox.resized_height, format="rgb24", interpolation="BILINEAR"
        ).to_ndarray()
        detections = detector.detect(rgb, letterbox, size, min_score=args.min_score)
        for detection in detections:
            _print_line({**detection.to_json(), "frame": detected, "time": round(seconds, 3)})

        if args.annotate and (best.detections is None or len(detections) > len(best.detections)):
            best = _BestFrame(frame.to_ndarray(format="rgb24"), detections)
        detected += 1
        if args.max_frames is not None and detected >= args.max_frames:
            break

    if detected == 0:
        raise InputError(f"no video frames decoded from {redact(source)}")
    if args.annotate and best.rgb is not None:
        write_annotated(args.annotate, best.rgb, best.detections or [])
    _LOGGER.info("Detected %d frames; mean detector latency %.1f ms", detected, detector.stats()["mean_ms"])


def _sampled_frames(container: av.container.InputContainer, source: str, fps: float | None) -> Iterator[tuple[av.VideoFrame, float]]:
    """Yield (frame, seconds) for the frames to detect, at most `fps` per second of video time."""
    stream = container.streams.video[0]
    # Let FFmpeg pick frame or slice threading for decoding.
    stream.thread_type = "AUTO"
    rate = float(stream.average_rate or 25)
    next_time = float("-inf")
    index = -1

    try:
        for frame in container.decode(stream):
            index += 1
            seconds = frame.time if frame.time is not None else index / rate
            if fps is not None:
                # Tolerance for timestamps that land a rounding error before the slot.
                if seconds + 1e-6 < next_time:
                    continue
                # After a gap in the video, restart the schedule from this frame.
                next_time = max(next_time + 1.0 / fps, seconds + 1.0 / fps - 1e-6)
            yield frame, seconds
    except av.error.FFmpegError as err:
        message = f"failed to decode {redact(source)} after {index + 1} frames: {err}"
        raise (StreamError(message) if "://" in source else InputError(message)) from None


def _print_line(record: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()
