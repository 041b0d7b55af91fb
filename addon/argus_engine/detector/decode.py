"""Turning raw model output into detections in frame pixels.

Both output kinds go through the same steps: drop rows with NaN or infinity (and count
them), keep scores ≥ min_score, keep only the requested labels, then take the top k by
score. The class filter runs before the top k so that a busy scene of unwanted classes
cannot push the wanted ones out. Classic output also gets class-aware NMS.
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np

from ..detection import Detection
from .class_names import label_for
from .letterbox import Letterbox, boxes_to_frame

# Ultralytics' defaults: NMS IoU threshold and the cap on boxes fed to NMS.
NMS_IOU = 0.7
MAX_NMS_CANDIDATES = 30_000

# Class ids come from a float column; clip before the integer cast so that a huge value
# cannot wrap around into a real class id.
_MAX_CLASS_ID = 2**31 - 1


@dataclass(slots=True)
class DecodeResult:
    """Detections of one frame, best first, and how many output rows were not finite."""

    detections: list[Detection]
    nonfinite: int


@dataclass(slots=True)
class _Candidates:
    """Rows that passed the filters, in input pixels, x1 y1 x2 y2."""

    boxes: np.ndarray
    scores: np.ndarray
    class_ids: np.ndarray
    labels: list[str]


def decode(
    output: np.ndarray,
    output_kind: str,
    letterbox: Letterbox,
    frame_size: tuple[int, int],
    names: Mapping[int, str],
    *,
    requested_labels: Collection[str] | None = None,
    min_score: float = 0.25,
    max_detections: int = 100,
    iou_threshold: float = NMS_IOU,
) -> DecodeResult:
    """Decode one frame's model output. With `requested_labels` None, every label is kept."""
    if output_kind == "end2end":
        rows, nonfinite = _finite_rows(np.asarray(output).reshape(-1, 6))
        candidates = _end2end_candidates(rows, names, requested_labels, min_score)
    elif output_kind == "classic":
        # [1, 4 + C, N] → one row per anchor: cx, cy, w, h, C class scores.
        rows, nonfinite = _finite_rows(np.asarray(output)[0].T)
        candidates = _classic_candidates(rows, names, requested_labels, min_score)
        keep = class_aware_nms(
            candidates.boxes, candidates.scores, candidates.class_ids, iou_threshold, max_keep=max_detections
        )
        candidates = _select(candidates, keep)
    else:
        raise ValueError(f"unknown output kind {output_kind!r}")

    order = np.argsort(-candidates.scores, kind="stable")[:max_detections]
    candidates = _select(candidates, order)
    frame_width, frame_height = frame_size
    boxes = boxes_to_frame(candidates.boxes, letterbox, frame_width, frame_height)
    return DecodeResult(_to_detections(candidates, boxes), nonfinite)


def _finite_rows(rows: np.ndarray) -> tuple[np.ndarray, int]:
    finite = np.isfinite(rows).all(axis=1)
    return rows[finite], int(rows.shape[0] - np.count_nonzero(finite))


def _end2end_candidates(
    rows: np.ndarray, names: Mapping[int, str], requested_labels: Collection[str] | None, min_score: float
) -> _Candidates:
    rows = rows[rows[:, 4] >= min_score]
    class_ids = np.rint(rows[:, 5]).clip(-1, _MAX_CLASS_ID).astype(np.int64)
    return _filter_requested(_Candidates(rows[:, :4], rows[:, 4], class_ids, []), names, requested_labels)


def _classic_candidates(
    rows: np.ndarray, names: Mapping[int, str], requested_labels: Collection[str] | None, min_score: float
) -> _Candidates:
    # Best class per anchor, as Ultralytics does without multi-label NMS.
    class_scores = rows[:, 4:]
    class_ids = class_scores.argmax(axis=1)
    scores = class_scores[np.arange(len(rows)), class_ids]
    passed = scores >= min_score
    rows, class_ids, scores = rows[passed], class_ids[passed], scores[passed]

    if len(scores) > MAX_NMS_CANDIDATES:
        top = np.argsort(-scores, kind="stable")[:MAX_NMS_CANDIDATES]
        rows, class_ids, scores = rows[top], class_ids[top], scores[top]

    boxes = _xywh_to_xyxy(rows[:, :4])
    return _filter_requested(_Candidates(boxes, scores, class_ids.astype(np.int64), []), names, requested_labels)


def _xywh_to_xyxy(xywh: np.ndarray) -> np.ndarray:
    half = xywh[:, 2:4] / 2
    return np.concatenate([xywh[:, 0:2] - half, xywh[:, 0:2] + half], axis=1)


def _filter_requested(
    candidates: _Candidates, names: Mapping[int, str], requested_labels: Collection[str] | None
) -> _Candidates:
    candidates.labels = [label_for(int(class_id), names) for class_id in candidates.class_ids]
    if requested_labels is None:
        return candidates
    keep = [i for i, label in enumerate(candidates.labels) if label in requested_labels]
    return _select(candidates, np.array(keep, dtype=np.int64))


def _select(candidates: _Candidates, index: np.ndarray) -> _Candidates:
    return _Candidates(
        candidates.boxes[index],
        candidates.scores[index],
        candidates.class_ids[index],
        [candidates.labels[i] for i in index],
    )


def class_aware_nms(
    boxes: np.ndarray, scores: np.ndarray, class_ids: np.ndarray, iou_threshold: float, *, max_keep: int | None = None
) -> np.ndarray:
    """Return indexes of the boxes kept by greedy NMS run separately per class, best first."""
    if len(boxes) == 0:
        return np.zeros(0, dtype=np.int64)
    # Shifting each class into its own region makes one NMS pass never compare classes.
    # Coordinates lie in [-m, m], so a shift of more than 2m keeps the regions apart.
    span = 2.0 * float(np.abs(boxes).max()) + 1.0
    shifted = boxes + (class_ids.astype(np.float64) * span)[:, None]
    return nms(shifted, scores, iou_threshold, max_keep=max_keep)


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float, *, max_keep: int | None = None) -> np.ndarray:
    """Return indexes of the boxes kept by greedy NMS, best first, at most `max_keep` of them.

    A box is suppressed when its IoU with a better-scoring kept box exceeds the threshold.
    Stopping at `max_keep` gives the same result as taking the top k afterwards, because
    boxes are kept in score order.
    """
    x1, y1, x2, y2 = (boxes[:, i].astype(np.float64) for i in range(4))
    areas = (x2 - x1).clip(0) * (y2 - y1).clip(0)
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []

    while order.size and (max_keep is None or len(keep) < max_keep):
        best, rest = order[0], order[1:]
        keep.append(int(best))
        width = (np.minimum(x2[best], x2[rest]) - np.maximum(x1[best], x1[rest])).clip(0)
        height = (np.minimum(y2[best], y2[rest]) - np.maximum(y1[best], y1[rest])).clip(0)
        intersection = width * height
        union = areas[best] + areas[rest] - intersection
        iou = np.divide(intersection, union, out=np.zeros_like(intersection), where=union > 0)
        order = rest[iou <= iou_threshold]

    return np.array(keep, dtype=np.int64)


def _to_detections(candidates: _Candidates, frame_boxes: np.ndarray) -> list[Detection]:
    return [
        Detection(
            label=label,
            class_id=int(class_id),
            score=float(score),
            box=(float(box[0]), float(box[1]), float(box[2]), float(box[3])),
        )
        for label, class_id, score, box in zip(
            candidates.labels, candidates.class_ids, candidates.scores, frame_boxes, strict=True
        )
    ]
