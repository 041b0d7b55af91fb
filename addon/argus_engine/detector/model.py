"""Loading an ONNX detection model into one onnxruntime session.

The input size comes from the model's input shape. Symbolic (dynamic) height or width
fall back to the `imgsz` metadata, else 640. The output kind is decided from the actual
output shape, never from metadata: `[1, K, 6]` rows of x1, y1, x2, y2, score, class
("end2end", NMS already done) or `[1, 4 + C, N]` anchors of cx, cy, w, h and C class
scores ("classic", needs NMS).
"""

import ast
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import onnxruntime as ort

from ..errors import ModelError, ModelNotFoundError
from .class_names import names_from_file, names_from_metadata
from .cpu import available_cpus

_LOGGER = logging.getLogger(__name__)

DEFAULT_INPUT_SIZE = 640
END2END_ROW = 6

OutputKind = Literal["end2end", "classic"]

_INPUT_DTYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16}

WHERE_TO_PUT_A_MODEL = (
    "put a YOLO ONNX model in the models/ directory, pass --model FILE, "
    "or download one with `python -m argus_engine model fetch`"
)


@dataclass(eq=False)
class OnnxModel:
    """A loaded detection model: one session plus what is needed to feed it and read its output."""

    name: str
    path: Path
    # (width, height) of the input the model expects.
    input_size: tuple[int, int]
    labels: dict[int, str]
    output_kind: OutputKind
    # Output shape seen at load, e.g. (1, 300, 6) or (1, 84, 8400).
    output_shape: tuple[int, ...]
    threads: int
    input_dtype: type[np.floating]
    session: ort.InferenceSession = field(repr=False)
    input_name: str = field(repr=False)
    output_name: str = field(repr=False)

    def run(self, tensor: np.ndarray) -> np.ndarray:
        """Run the model on one NCHW tensor and return its first output."""
        if tensor.dtype != self.input_dtype:
            tensor = tensor.astype(self.input_dtype)
        return self.session.run([self.output_name], {self.input_name: tensor})[0]


def load_model(path: str | Path, *, labels_path: str | Path | None = None, threads: int = 0) -> OnnxModel:
    """Load an ONNX detection model. A `threads` of 0 uses every CPU this process may use.

    Raises ModelNotFoundError for a missing file and ModelError for a file that is not a
    usable detection model (not ONNX, wrong input, unexpected output shape).
    """
    path = Path(path)
    if not path.is_file():
        raise ModelNotFoundError(f"model file not found: {path}; {WHERE_TO_PUT_A_MODEL}")

    threads = threads if threads > 0 else available_cpus()
    session = _open_session(path, threads)
    metadata = session.get_modelmeta().custom_metadata_map

    model_input = session.get_inputs()[0]
    input_dtype = _input_dtype(path, model_input)
    input_size = _input_size(path, model_input.shape, metadata.get("imgsz"))
    output = session.get_outputs()[0]
    output_shape = _output_shape(session, model_input.name, output, input_size, input_dtype)
    output_kind = output_kind_of(output_shape, path)

    labels = names_from_file(labels_path) if labels_path else names_from_metadata(metadata.get("names"))
    model = OnnxModel(
        name=path.stem,
        path=path,
        input_size=input_size,
        labels=labels,
        output_kind=output_kind,
        output_shape=output_shape,
        threads=threads,
        input_dtype=input_dtype,
        session=session,
        input_name=model_input.name,
        output_name=output.name,
    )
    _LOGGER.info(
        "Model loaded: %s, input %dx%d, output %s %s, %d classes, %d threads",
        model.name,
        *input_size,
        output_kind,
        list(output_shape),
        len(labels),
        threads,
    )
    return model


def _open_session(path: Path, threads: int) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    # One frame at a time: parallelism comes from intra-op threads, not from graph branches.
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # Idle pool threads sleep instead of spinning, because a Home Assistant host always has
    # other work. Measured once for yolo26n-640 with onnxruntime 1.32 on 2 cores busy with
    # other processes: median wall time per run fell from 241 to 118 ms, CPU time from 118
    # to 73 ms. The gain depends on load, so treat it as an estimate.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
    # onnxruntime's load errors (InvalidProtobuf, Fail, ...) derive straight from Exception.
    except Exception as err:  # noqa: BLE001
        raise ModelError(f"cannot load {path} as an ONNX model: {err}") from None


def _input_dtype(path: Path, model_input: ort.NodeArg) -> type[np.floating]:
    if model_input.type not in _INPUT_DTYPES:
        raise ModelError(f"{path}: input {model_input.name!r} is {model_input.type}; expected float or float16")
    return _INPUT_DTYPES[model_input.type]


def _input_size(path: Path, shape: list[int | str | None], imgsz: str | None) -> tuple[int, int]:
    """Return (width, height) from an NCHW input shape, using `imgsz` for symbolic dims."""
    fixed_channels = len(shape) == 4 and isinstance(shape[1], int) and shape[1] > 0
    if len(shape) != 4 or (fixed_channels and shape[1] != 3):
        raise ModelError(f"{path}: input shape {shape} is not [batch, 3, height, width]")
    if isinstance(shape[0], int) and shape[0] != 1:
        raise ModelError(f"{path}: input batch size is fixed at {shape[0]}; the detector runs batch 1")

    default_height, default_width = _imgsz(imgsz)
    height = shape[2] if isinstance(shape[2], int) and shape[2] > 0 else default_height
    width = shape[3] if isinstance(shape[3], int) and shape[3] > 0 else default_width
    return width, height


def _imgsz(text: str | None) -> tuple[int, int]:
    """Parse Ultralytics' `imgsz` metadata ("[640, 640]" as height, width, or "640")."""
    try:
        value = ast.literal_eval(text) if text else DEFAULT_INPUT_SIZE
    except (ValueError, SyntaxError):
        value = DEFAULT_INPUT_SIZE
    if isinstance(value, int) and value > 0:
        return value, value
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, int) and v > 0 for v in value):
        return value[0], value[1]
    _LOGGER.warning("Ignoring model metadata imgsz=%r; using %d", text, DEFAULT_INPUT_SIZE)
    return DEFAULT_INPUT_SIZE, DEFAULT_INPUT_SIZE


def _output_shape(
    session: ort.InferenceSession,
    input_name: str,
    output: ort.NodeArg,
    input_size: tuple[int, int],
    input_dtype: type[np.floating],
) -> tuple[int, ...]:
    """Return the output shape, running one dummy inference when the model leaves dims symbolic."""
    if all(isinstance(dim, int) and dim > 0 for dim in output.shape):
        return tuple(output.shape)

    width, height = input_size
    dummy = np.zeros((1, 3, height, width), dtype=input_dtype)
    try:
        result = session.run([output.name], {input_name: dummy})[0]
    # Same untyped onnxruntime errors as at load. A model that cannot run is unusable.
    except Exception as err:  # noqa: BLE001
        raise ModelError(f"model failed a test run at input {width}x{height}: {err}") from None
    return tuple(np.shape(result))


def output_kind_of(shape: tuple[int, ...], path: Path | str = "model") -> OutputKind:
    """Return the output kind for an output shape, or raise ModelError for any other shape."""
    if len(shape) == 3 and shape[0] == 1:
        if shape[2] == END2END_ROW and shape[1] >= 1:
            return "end2end"
        # Classic: 4 box rows plus at least one class row, and more anchors than rows
        # (8400 anchors for 84 rows at 640), which also rejects shapes such as [1, 300, 7].
        if shape[1] > 4 and shape[2] > shape[1]:
            return "classic"
    raise ModelError(
        f"{path}: unexpected output shape {list(shape)}; expected [1, K, 6] (x1, y1, x2, y2, score, class) "
        "or [1, 4 + classes, anchors]"
    )
