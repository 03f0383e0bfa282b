"""The served API answers health and refuses anonymous plan reads."""

from __future__ import annotations

import httpx


def test_health_is_up_and_plans_need_a_bearer_token(shared_client: httpx.Client) -> None:
    assert shared_client.get("/health").json() == {"status": "ok"}
    response = shared_client.get("/plans/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
