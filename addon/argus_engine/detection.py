"""Detections: the objects the detector found in one frame."""

from dataclasses import dataclass

# (x1, y1, x2, y2) in frame pixels, x to the right, y down.
Box = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class Detection:
    """One object the detector found in one frame, with its box in frame pixels."""

    label: str
    class_id: int
    score: float
    box: Box

    def to_json(self) -> dict[str, object]:
        """Return the detection as JSON-ready data with rounded numbers."""
        return {
            "label": self.label,
            "class_id": self.class_id,
            "score": round(self.score, 4),
            "box": [round(value, 1) for value in self.box],
        }
