"""/api/v1/channels/{id}/routes: who gets what — only an administrator or manager covering the site or
organisation level routes a channel there, only a channel they can see; errors name the field."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import SITE_A, SITE_B, SITE_C, World

CHANNEL: dict[str, Any] = {
    "name": "store A routes",
    "kind": "webhook",
    "config": {"url": "https://bms.example.jp/hook", "secret": "0123456789abcdef-webhook"},
}


def _channel(client: TestClient, world: World, who: str = "manager_site") -> int:
    created = client.post("/api/v1/channels", json=CHANNEL, headers=world[who].auth)
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def _route(client: TestClient, world: World, who: str, channel_id: int, body: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/channels/{channel_id}/routes", json=body, headers=world[who].auth)


def test_a_manager_routes_a_channel_to_their_site_and_lists_it(client: TestClient, world: World) -> None:
    channel_id = _channel(client, world)
    body = {"site_code": SITE_A, "audience": "manager", "categories": ["leak", "data_gap", "leak"]}
    created = _route(client, world, "manager_site", channel_id, body)
    assert created.status_code == 201, created.text
    route = created.json()
    assert route == {"id": route["id"], "channel_id": channel_id, "site_id": world.sites[SITE_A],
                     "site_code": SITE_A, "organisation_id": None, "audience": "manager",
                     "categories": ["data_gap", "leak"]}  # fmt: skip
    listed = client.get(f"/api/v1/channels/{channel_id}/routes", headers=world["manager_site"].auth)
    assert listed.status_code == 200
    assert listed.json() == [route]


def test_every_category_when_none_are_named(client: TestClient, world: World) -> None:
    channel_id = _channel(client, world, "admin")
    created = _route(client, world, "admin", channel_id, {"site_code": SITE_B, "audience": "head_office"})
    assert created.status_code == 201, created.text
    assert created.json()["categories"] is None


def test_an_organisation_route_needs_a_manager_at_that_level_or_above(client: TestClient, world: World) -> None:
    channel_id = _channel(client, world)
    body = {"organisation_id": world.branch_id, "audience": "head_office"}
    refused = _route(client, world, "manager_site", channel_id, body)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    for who in ("manager_branch", "admin"):
        assert _route(client, world, who, channel_id, body).status_code == 201
    company = _route(client, world, "manager_branch", channel_id, {**body, "organisation_id": world.company_id})
    assert company.status_code == 403


def test_a_manager_of_another_site_may_not_route_to_ours(client: TestClient, world: World) -> None:
    channel_id = _channel(client, world)
    response = _route(client, world, "manager_other", channel_id, {"site_code": SITE_A, "audience": "manager"})
    assert response.status_code == 403
    assert (
        _route(client, world, "manager_branch", channel_id, {"site_code": SITE_A, "audience": "deputy"}).status_code
        == 201
    )


@pytest.mark.parametrize("who", ["viewer", "contractor", "delegate"])
def test_people_who_are_not_administrators_or_managers_may_not_route(
    client: TestClient, world: World, who: str
) -> None:
    channel_id = _channel(client, world)
    for response in (
        _route(client, world, who, channel_id, {"site_code": SITE_A, "audience": "manager"}),
        client.get(f"/api/v1/channels/{channel_id}/routes", headers=world[who].auth),
    ):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"


def test_another_company_cannot_see_or_route_our_channel_nor_route_theirs_to_our_sites(
    client: TestClient, world: World
) -> None:
    ours = _channel(client, world)
    for response in (
        _route(client, world, "outsider", ours, {"site_code": SITE_C, "audience": "manager"}),
        client.get(f"/api/v1/channels/{ours}/routes", headers=world["outsider"].auth),
        client.get("/api/v1/channels/999999999/routes", headers=world["manager_site"].auth),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    theirs = _channel(client, world, "outsider")
    assert _route(client, world, "outsider", theirs, {"site_code": SITE_A, "audience": "manager"}).status_code == 403
    assert _route(client, world, "outsider", theirs, {"site_code": SITE_C, "audience": "manager"}).status_code == 201
    assert (
        _route(client, world, "manager_site", theirs, {"site_code": SITE_A, "audience": "manager"}).status_code == 404
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"site_code": SITE_A, "audience": "everyone"}, "audience"),
        ({"site_code": SITE_A}, "audience"),
        ({"site_code": SITE_A, "audience": "manager", "categories": ["leak", "gossip"]}, "categories.1"),
        ({"site_code": SITE_A, "audience": "manager", "categories": []}, "categories"),
        ({"site_code": "NO-SUCH-SITE", "audience": "manager"}, "site_code"),
        ({"organisation_id": 999999999, "audience": "manager"}, "organisation_id"),
        ({"audience": "manager"}, "site_code"),
        ({"site_code": SITE_A, "organisation_id": 1, "audience": "manager"}, "site_code"),
        ({"site_code": SITE_A, "audience": "manager", "channel": 3}, "channel"),
    ],
)
def test_a_bad_route_is_refused_naming_the_field(
    client: TestClient, world: World, body: dict[str, Any], field: str
) -> None:
    channel_id = _channel(client, world)
    response = _route(client, world, "admin", channel_id, body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("invalid", field)
