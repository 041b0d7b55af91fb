"""Unknown paths and methods get the API's JSON error body, after the token check."""

from tests.helpers.engine_api import AUTH, running_api


async def test_unknown_path_json_404(tmp_path) -> None:
    async with running_api(tmp_path) as api:
        response = await api.client.get("/api/nowhere", headers=AUTH)
        body = await response.json()
        traversal = await api.client.get("/api/events/../../token", headers=AUTH)
        unauthenticated = await api.client.get("/api/nowhere")
        wrong_method = await api.client.post("/api/events", headers=AUTH)
        wrong_method_body = await wrong_method.json()

    assert response.status == 404
    assert body["error"]["code"] == "not_found"
    assert traversal.status == 404
    assert unauthenticated.status == 401
    assert wrong_method.status == 405
    assert wrong_method_body["error"]["code"] == "invalid_message"
    assert "GET" in wrong_method.headers["Allow"]
