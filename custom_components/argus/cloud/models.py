"""Workers AI vision models and the request shape each one expects.

Sources for the input shapes, checked for this module:
- `@cloudflare/workers-types` 4.20251118.0, `index.ts`:
  - `Prompt`/`Messages` for `@cf/meta/llama-3.2-11b-vision-instruct`: messages plus
    a top-level `image`, either a byte array or a string.
  - `Ai_Cf_Meta_Llama_4_Messages` and `Mistral_Small_3_1_24B_Instruct_Messages`:
    content parts of type `image_url` whose `url` must be a data URI ("HTTP URL will
    not be accepted").
  - `AiImageToTextInput` (`@cf/llava-hf/llava-1.5-7b-hf`) and
    `Ai_Cf_Unum_Uform_Gen2_Qwen_500M_Input`: `image` as an array of byte values plus
    `prompt`, output `{description}`.
- developers.cloudflare.com/workers-ai/models/llama-3.2-11b-vision-instruct: the
  model needs Meta's licence accepted once with the prompt "agree"; Argus never
  sends that on the user's behalf.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

Verdict = Literal["confirmed", "rejected", "uncertain"]

LLAMA_3_2_VISION = "@cf/meta/llama-3.2-11b-vision-instruct"
LLAMA_4_SCOUT = "@cf/meta/llama-4-scout-17b-16e-instruct"
MISTRAL_SMALL_3_1 = "@cf/mistralai/mistral-small-3.1-24b-instruct"
LLAVA_1_5 = "@cf/llava-hf/llava-1.5-7b-hf"
UFORM_GEN2 = "@cf/unum/uform-gen2-qwen-500m"
DEFAULT_MODEL = LLAMA_3_2_VISION

MAX_TOKENS = 120

SYSTEM_PROMPT = (
    "You check detections from a home security camera. Answer with one line of JSON only: "
    '{"verdict": "confirmed" | "rejected" | "uncertain", "description": "<one short sentence>"}.'
)


def question_for(label: str) -> str:
    """Return the fixed question asked about one detected object."""
    return (
        f"A detector reported a {label} in this image. Is there really a {label}? "
        'Reply with JSON: {"verdict": "confirmed", "rejected" or "uncertain", '
        '"description": one short sentence about what you see}.'
    )


def _data_uri(jpeg: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


def _chat_with_image_url(jpeg: bytes, label: str) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": question_for(label)},
                    {"type": "image_url", "image_url": {"url": _data_uri(jpeg)}},
                ],
            },
        ],
        "max_tokens": MAX_TOKENS,
        "temperature": 0,
    }


def _chat_with_image_bytes(jpeg: bytes, label: str) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": question_for(label)},
        ],
        "image": list(jpeg),
        "max_tokens": MAX_TOKENS,
        "temperature": 0,
    }


def _prompt_with_image_bytes(jpeg: bytes, label: str) -> dict[str, Any]:
    # Captioning models have no system role, so the output format goes into the prompt.
    return {
        "image": list(jpeg),
        "prompt": f"{SYSTEM_PROMPT} {question_for(label)}",
        "max_tokens": MAX_TOKENS,
    }


def _response_text(result: Any) -> str:
    if isinstance(result, dict):
        value = result.get("response", result.get("description"))
        if isinstance(value, dict):
            return json.dumps(value)
        if isinstance(value, str):
            return value
    raise ValueError(f"no 'response' or 'description' text in model result: {str(result)[:200]!r}")


@dataclass(frozen=True, slots=True)
class VisionModel:
    """One Workers AI model id, its display name and its request builder."""

    model_id: str
    name: str
    build_request: Callable[[bytes, str], dict[str, Any]]
    needs_licence: bool = False


MODELS: dict[str, VisionModel] = {
    model.model_id: model
    for model in (
        VisionModel(LLAMA_3_2_VISION, "Llama 3.2 11B Vision", _chat_with_image_bytes, needs_licence=True),
        VisionModel(LLAMA_4_SCOUT, "Llama 4 Scout 17B", _chat_with_image_url),
        VisionModel(MISTRAL_SMALL_3_1, "Mistral Small 3.1 24B", _chat_with_image_url),
        VisionModel(LLAVA_1_5, "LLaVA 1.5 7B", _prompt_with_image_bytes),
        VisionModel(UFORM_GEN2, "UForm-Gen2 Qwen 500M", _prompt_with_image_bytes),
    )
}

_JSON_OBJECT = re.compile(r"\{.*?\}", re.DOTALL)
_WORDS: tuple[tuple[Verdict, re.Pattern[str]], ...] = (
    ("rejected", re.compile(r"\b(rejected|no|not)\b", re.IGNORECASE)),
    ("confirmed", re.compile(r"\b(confirmed|yes)\b", re.IGNORECASE)),
)


def parse_answer(result: Any) -> tuple[Verdict, str]:
    """Parse a model result into a verdict and a one-line description.

    Models are asked for JSON, but small captioning models often reply in prose;
    then a leading yes/no decides and anything else is `uncertain`. Raises
    `ValueError` when the result has no text at all.
    """
    text = _response_text(result).strip()
    match = _JSON_OBJECT.search(text)
    if match:
        try:
            answer = json.loads(match.group(0))
        except json.JSONDecodeError:
            answer = None
        if isinstance(answer, dict) and answer.get("verdict") in ("confirmed", "rejected", "uncertain"):
            return answer["verdict"], _one_line(str(answer.get("description", "")))
    first_words = " ".join(text.split()[:3])
    for verdict, pattern in _WORDS:
        if pattern.search(first_words):
            return verdict, _one_line(text)
    return "uncertain", _one_line(text)


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= 200 else line[:199] + "…"
