"""Parsing model responses into verdicts."""

from __future__ import annotations

import pytest

from custom_components.argus.cloud.models import parse_answer


@pytest.mark.parametrize(
    ("result", "verdict", "description"),
    [
        ({"response": '{"verdict": "rejected", "description": "A coat on a hook."}'}, "rejected", "A coat on a hook."),
        ({"response": 'Sure! {"verdict":"confirmed","description":"Man with a bag"} Hope it helps.'}, "confirmed",
         "Man with a bag"),
        ({"response": {"verdict": "uncertain", "description": "Too dark."}}, "uncertain", "Too dark."),
        ({"description": "Yes, there is a person walking."}, "confirmed", "Yes, there is a person walking."),
        ({"description": "No, it is a shadow."}, "rejected", "No, it is a shadow."),
        ({"description": "A blurry shape near a car."}, "uncertain", "A blurry shape near a car."),
        ({"response": '{"verdict": "maybe"}'}, "uncertain", '{"verdict": "maybe"}'),
    ],
)
def test_parse_answer_cases(result, verdict, description) -> None:
    assert parse_answer(result) == (verdict, description)


@pytest.mark.parametrize("result", [None, {}, {"response": 3}, "text"])
def test_parse_answer_without_text(result) -> None:
    with pytest.raises(ValueError, match="no 'response' or 'description'"):
        parse_answer(result)


def test_description_kept_to_one_line() -> None:
    verdict, description = parse_answer({"description": "Yes\n" + "word " * 100})
    assert verdict == "confirmed"
    assert "\n" not in description
    assert len(description) <= 200
