"""`event/verification`: a second opinion stored on an event and pushed to subscribers."""

from tests.helpers.engine_api import receive_until, request, running_api, stored_event


async def test_verification_stored_and_pushed(tmp_path) -> None:
    async with running_api(tmp_path) as api:
        event = stored_event(api, "ev_0193a5f0c1d2_k3m9x2ab")
        ws = await api.ws()
        await request(ws, {"id": 1, "type": "subscribe"})

        reply = await request(
            ws,
            {"id": 2, "type": "event/verification", "event_id": event.id, "verdict": "rejected", "description": "A shadow.", "model": "m"},
        )
        push = await receive_until(ws, lambda message: message.get("type") == "event" and "verification" in message["data"]["reasons"])
        stored = api.engine.store.get_event(event.id)
        await ws.close()

    assert reply["success"], reply
    assert reply["result"]["event"]["verification"]["verdict"] == "rejected"
    assert push["data"]["event"]["verification"]["description"] == "A shadow."
    assert stored["verdict"] == "rejected"
    assert stored["verification_model"] == "m"


async def test_verification_rejects_bad_input(tmp_path) -> None:
    cases = [
        ({"event_id": "ev_0193a5f0c1d2_k3m9x2ab", "verdict": "maybe"}, "invalid_message", "verdict"),
        ({"event_id": "ev_0193a5f0c1d2_k3m9x2ab", "verdict": "confirmed", "description": "x" * 501}, "invalid_message", "description"),
        ({"event_id": "ev_0193a5f0c1d2_k3m9x2ab", "verdict": "confirmed", "model": 5}, "invalid_message", "model"),
        ({"verdict": "confirmed"}, "invalid_message", "event_id"),
        ({"event_id": "ev_missing", "verdict": "confirmed"}, "not_found", "event_id"),
    ]
    async with running_api(tmp_path) as api:
        stored_event(api, "ev_0193a5f0c1d2_k3m9x2ab")
        ws = await api.ws()
        replies = [await request(ws, {"id": index, "type": "event/verification", **fields}) for index, (fields, _, _) in enumerate(cases, 1)]
        await ws.close()

    for reply, (fields, code, field) in zip(replies, cases):
        assert not reply["success"], fields
        assert reply["error"]["code"] == code, fields
        assert reply["error"]["field"] == field, fields
