"""Object filters: which detections are tracked and which tracks may make an event.

Detections are filtered per label (`ObjectFilter` in config.py) before tracking: the
label must be watched, and score, box area, aspect ratio and the camera's masks must
pass. A track then makes an event only when the median of its recent scores reaches
the label's threshold, so a single lucky frame never does.

A filter may be given for a label (`car`) or a group (`vehicle`). The label's own filter
wins, then that of the first group, in the groups' order, that contains the label.
"""

from collections.abc import Mapping

from .config import DEFAULT_FILTER, CameraConfig, ObjectFilter
from .detection import Detection
from .geometry import bottom_center, box_area, point_in_polygon
from .labels import expand, groups_of
from .tracker import Track


class ObjectFilters:
    """A camera's object rules, applied to detections and tracks."""

    def __init__(self, camera: CameraConfig, groups: Mapping[str, frozenset[str]]) -> None:
        self._camera = camera
        self._groups = groups
        # Labels the camera watches, with group names expanded.
        self.labels = expand(camera.objects, groups)
        self._rules: dict[str, ObjectFilter] = {}

    def rules_for(self, label: str) -> ObjectFilter:
        """Return the filter for a label: its own, its group's, or the default."""
        rules = self._rules.get(label)
        if rules is None:
            names = [label, *groups_of(label, self._groups)]
            rules = next((self._camera.filters[name] for name in names if name in self._camera.filters), DEFAULT_FILTER)
            self._rules[label] = rules
        return rules

    def accept(self, detection: Detection, frame_size: tuple[int, int]) -> bool:
        """Return True when the detection should be tracked."""
        if detection.label not in self.labels:
            return False
        rules = self.rules_for(detection.label)
        # Written so that a NaN score fails too.
        if not detection.score >= rules.min_score:
            return False

        width, height = frame_size
        x1, y1, x2, y2 = detection.box
        area = box_area(detection.box) / (width * height)
        if not rules.min_area <= area <= rules.max_area:
            return False
        box_height = y2 - y1
        ratio = (x2 - x1) / box_height if box_height > 0 else float("inf")
        if not rules.min_ratio <= ratio <= rules.max_ratio:
            return False
        return not self.masked(detection, frame_size)

    def masked(self, detection: Detection, frame_size: tuple[int, int]) -> bool:
        """Return True when the bottom centre of the box lies in one of the camera's masks."""
        if not self._camera.masks:
            return False
        width, height = frame_size
        x, y = bottom_center(detection.box)
        point = (x / width, y / height)
        return any(point_in_polygon(point, mask) for mask in self._camera.masks)

    def apply(self, detections: list[Detection], frame_size: tuple[int, int]) -> list[Detection]:
        """Return the detections that should be tracked, in their order."""
        return [detection for detection in detections if self.accept(detection, frame_size)]

    def passes_threshold(self, track: Track) -> bool:
        """Return True when the median of the track's recent scores reaches its label's threshold."""
        return track.median_score() >= self.rules_for(track.label).threshold
