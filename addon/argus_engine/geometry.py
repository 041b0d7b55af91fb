"""Plane geometry on boxes and polygons, in whatever unit the caller uses."""

from collections.abc import Sequence

from .detection import Box

Point = tuple[float, float]


def box_area(box: Box) -> float:
    """Return the area of a box; an inverted box has area 0."""
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def iou(a: Box, b: Box) -> float:
    """Return the intersection over union of two boxes (0 when they do not touch)."""
    overlap = box_area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))
    union = box_area(a) + box_area(b) - overlap
    return overlap / union if union > 0 else 0.0


def bottom_center(box: Box) -> Point:
    """Return where the object touches the ground, as seen by a camera looking down."""
    return ((box[0] + box[2]) / 2, box[3])


def center(box: Box) -> Point:
    """Return the centre of a box."""
    return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


def point_in_polygon(point: Point, polygon: Sequence[Point]) -> bool:
    """Return True when the point lies inside the polygon (even-odd rule; edges count as inside)."""
    x, y = point
    inside = False
    count = len(polygon)
    for index in range(count):
        x1, y1 = polygon[index]
        x2, y2 = polygon[(index + 1) % count]
        if _on_segment(point, (x1, y1), (x2, y2)):
            return True
        if (y1 > y) != (y2 > y):
            crossing_x = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            if x < crossing_x:
                inside = not inside
    return inside


def box_overlaps_polygon(box: Box, polygon: Sequence[Point]) -> bool:
    """Return True when any part of the box lies inside the polygon."""
    corners = [(box[0], box[1]), (box[2], box[1]), (box[2], box[3]), (box[0], box[3])]
    if any(point_in_polygon(corner, polygon) for corner in corners):
        return True
    if any(box[0] <= x <= box[2] and box[1] <= y <= box[3] for x, y in polygon):
        return True
    edges = list(zip(corners, corners[1:] + corners[:1]))
    count = len(polygon)
    return any(
        _segments_cross(p1, p2, polygon[index], polygon[(index + 1) % count])
        for p1, p2 in edges
        for index in range(count)
    )


def polygon_problem(polygon: Sequence[Point]) -> str | None:
    """Return why the polygon cannot be a zone, or None when it is a simple polygon with area."""
    count = len(polygon)
    if count < 3:
        return f"has {count} points, needs at least 3"
    # Two edges that share a point are allowed to touch there; any other contact is a crossing.
    edges = [(polygon[index], polygon[(index + 1) % count]) for index in range(count)]
    for first in range(count):
        for second in range(first + 1, count):
            if second == first + 1 or (first == 0 and second == count - 1):
                continue
            if _segments_cross(*edges[first], *edges[second]):
                return f"edges {first + 1} and {second + 1} cross (the polygon intersects itself)"
    if abs(signed_area(polygon)) < 1e-12:
        return "has no area (all points on one line)"
    return None


def signed_area(polygon: Sequence[Point]) -> float:
    """Return the shoelace area: positive for counter-clockwise points in y-up axes."""
    count = len(polygon)
    total = 0.0
    for index in range(count):
        x1, y1 = polygon[index]
        x2, y2 = polygon[(index + 1) % count]
        total += x1 * y2 - x2 * y1
    return total / 2


def _orientation(a: Point, b: Point, c: Point) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _on_segment(point: Point, start: Point, end: Point) -> bool:
    if abs(_orientation(start, end, point)) > 1e-12:
        return False
    return (
        min(start[0], end[0]) - 1e-12 <= point[0] <= max(start[0], end[0]) + 1e-12
        and min(start[1], end[1]) - 1e-12 <= point[1] <= max(start[1], end[1]) + 1e-12
    )


def _segments_cross(a1: Point, a2: Point, b1: Point, b2: Point) -> bool:
    """Return True when two segments intersect or touch."""
    d1 = _orientation(b1, b2, a1)
    d2 = _orientation(b1, b2, a2)
    d3 = _orientation(a1, a2, b1)
    d4 = _orientation(a1, a2, b2)
    if ((d1 > 0) != (d2 > 0)) and ((d3 > 0) != (d4 > 0)) and d1 and d2 and d3 and d4:
        return True
    return (
        _on_segment(a1, b1, b2)
        or _on_segment(a2, b1, b2)
        or _on_segment(b1, a1, a2)
        or _on_segment(b2, a1, a2)
    )
