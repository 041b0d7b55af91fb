"""`model`: list the known models, download one, or check a model file.

    python -m argus_engine model list
    python -m argus_engine model fetch yolo26n-640 --url URL [--dest DIR] [--sha256 HEX]
    python -m argus_engine model verify FILE [--sha256 HEX]
"""

import argparse
import os
from pathlib import Path

from ..errors import ModelError
from ..model_download import download_model, file_sha256
from ..model_store import find_model, known_models


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `model` command and its `list`, `fetch` and `verify` actions."""
    parser = subparsers.add_parser("model", help="list, download or check detection models")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    actions.add_parser("list", help="list the known models and where each is found")

    fetch = actions.add_parser("fetch", help="download a model and verify its checksum")
    fetch.add_argument("name", help="model name from `model list`")
    fetch.add_argument("--url", help="download from this URL (required when the manifest has none)")
    fetch.add_argument("--dest", help="folder to save into (default: $ARGUS_MODEL_DIR, else ./models)")
    fetch.add_argument("--sha256", help="expected SHA-256 (default: the manifest's)")
    fetch.add_argument("--quiet", action="store_true", help="no progress bar")

    verify = actions.add_parser("verify", help="check a model file: checksum, inputs, outputs and classes")
    verify.add_argument("file", help="ONNX model file")
    verify.add_argument("--sha256", help="expected SHA-256 (default: the manifest's, if the file name is known)")
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the chosen action."""
    return {"list": _list, "fetch": _fetch, "verify": _verify}[args.action](args)


def _list(args: argparse.Namespace) -> int:
    for info in known_models().values():
        size = "x".join(str(side) for side in info.input_size) if info.input_size else "dynamic"
        try:
            where = str(find_model(name=info.name))
        except ModelError:
            where = "not found"
        print(f"{info.name:22} {size:8} {info.output_kind:8} {info.licence:9} {where}")
    return 0


def _fetch(args: argparse.Namespace) -> int:
    info = known_models().get(args.name)
    if info is None and not (args.url and args.sha256):
        names = ", ".join(known_models())
        raise ModelError(f"unknown model {args.name!r} (known: {names}); for another model give both --url and --sha256")

    url = args.url or (info.url if info else None)
    if not url:
        raise ModelError(
            f"no download URL is known for {args.name}: the project does not host the weights. "
            f"Pass --url with a copy you host, or export it from {info.weights_url} (see models/README.md)"
        )
    sha256 = args.sha256 or info.sha256
    dest_dir = Path(args.dest or os.environ.get("ARGUS_MODEL_DIR") or "models")
    file_name = info.file if info else f"{args.name}.onnx"

    path = download_model(url, dest_dir / file_name, sha256, progress=not args.quiet)
    print(path)
    return 0


def _verify(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise ModelError(f"model file not found: {path}")

    actual = file_sha256(path)
    expected, source = _expected_sha256(path, args.sha256)
    print(f"sha256 {actual}")
    if expected and actual != expected:
        print(f"checksum mismatch: expected {expected} ({source})")
        if args.sha256:
            return 1
        print("this is not the published export; that is expected for a model you exported yourself")

    from ..detector.model import load_model  # onnxruntime is slow to import; only verify needs it

    model = load_model(path)
    names = list(model.labels.values())
    print(f"input {model.input_size[0]}x{model.input_size[1]}, output {model.output_kind} {list(model.output_shape)}")
    print(f"classes {len(names)}: {', '.join(names[:10])}{' ...' if len(names) > 10 else ''}")
    print("ok")
    return 0


def _expected_sha256(path: Path, explicit: str | None) -> tuple[str | None, str]:
    if explicit:
        return explicit.lower(), "--sha256"
    for info in known_models().values():
        if info.file == path.name:
            return info.sha256, f"manifest entry {info.name}"
    return None, ""

