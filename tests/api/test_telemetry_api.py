"""/api/v1/equipment/{id}/telemetry and /baseline: the unit page's charts, from raw rows or the rollups."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg.types.json import Jsonb

from detectors.baseline import Baseline, ValueModel
from storage.rollups import refresh_rollups
from tests.api.conftest import SITE_A, SITE_B, World

URL = "/api/v1/equipment/{}/{}"
START = datetime(2026, 1, 5, tzinfo=UTC)
_numbers = itertools.count(1)
# (minutes after START, suction pressure, suction temp, evap sat temp); exactly representable in float4, so the
# rollups' averages are exact: two hours of the first day, one hour of the second
ROWS = [
    (0, 0.25, 2.5, -5.0), (20, 0.5, 3.0, -4.5), (40, 0.75, 4.0, -4.0),
    (60, 1.5, 6.0, -3.0), (90, 0.5, 1.0, -2.0),
    (24 * 60 + 5, 2.0, 7.5, 0.5),
]  # fmt: skip


def _unit(world: World, site: str = SITE_A) -> int:
    with psycopg.connect(world.url) as conn:
        (equipment_id,) = conn.execute(
            """INSERT INTO equipment (site_id, management_no, kind, refrigerant, charge_kg)
               VALUES (%s, %s, 'showcase_remote', 'R404A', %s) RETURNING id""",
            (world.sites[site], f"TL-{next(_numbers):03d}", Decimal("8.0")),
        ).fetchone() or (0,)
        conn.execute("INSERT INTO circuit (equipment_id, circuit_no) VALUES (%s, 1), (%s, 2)", (equipment_id,) * 2)
    return int(equipment_id)


def _seeded_unit(world: World, site: str = SITE_A) -> int:
    """A unit whose circuit 1 has ROWS, rolled up."""
    equipment_id = _unit(world, site)
    with psycopg.connect(world.url) as conn:
        for minutes, ps, ts_c, te in ROWS:
            conn.execute(
                """INSERT INTO telemetry (equipment_id, circuit_no, ts, suction_pressure_mpag, suction_temp_c,
                       evap_sat_temp_c, cabinet_temp_c) VALUES (%s, 1, %s, %s, %s, %s, -20)""",
                (equipment_id, START + timedelta(minutes=minutes), ps, ts_c, te),
            )
        refresh_rollups(conn, datetime.now(UTC))
    return equipment_id


def _get(client: TestClient, world: World, equipment_id: int, what: str = "telemetry", who: str = "manager_site",
         **params: Any) -> Any:  # fmt: skip
    return client.get(URL.format(equipment_id, what), params=params, headers=world[who].auth)


def _range(days: float) -> dict[str, str]:
    return {"from": START.isoformat(), "to": (START + timedelta(days=days)).isoformat()}


@pytest.mark.parametrize(("days", "resolution"), [(1, "raw"), (2, "raw"), (7, "hour"), (90, "hour"), (91, "day")])
def test_the_resolution_is_chosen_by_the_range(client: TestClient, world: World, days: int, resolution: str) -> None:
    equipment_id = _seeded_unit(world)
    answer = _get(client, world, equipment_id, circuit_no=1, **_range(days))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["resolution"], body["bucket_seconds"]) == (
        resolution, {"raw": None, "hour": 3600, "day": 86400}[resolution]
    )  # fmt: skip
    assert body["from"] == "2026-01-05T00:00:00Z"
    points = {"raw": len(ROWS) if days >= 2 else 5, "hour": 3, "day": 2}[resolution]
    assert len(body["circuits"][0]["ts"]) == points


def test_raw_rows_come_as_stored_with_superheat_derived_as_the_detectors_derive_it(
    client: TestClient, world: World
) -> None:
    equipment_id = _seeded_unit(world)
    body = _get(client, world, equipment_id, channels="suction_pressure_mpag,superheat_k", **_range(2)).json()
    assert [c["circuit_no"] for c in body["circuits"]] == [1, 2]
    first, second = body["circuits"]
    assert first["readings"] is None
    assert first["channels"]["suction_pressure_mpag"] == {
        "unit": "MPa gauge", "values": [r[1] for r in ROWS], "min": None, "max": None
    }  # fmt: skip
    # the controller reports Te, so SH = Ts - Te exactly (detectors/derived.py)
    assert first["channels"]["superheat_k"]["values"] == [r[2] - r[3] for r in ROWS]
    assert second["ts"] == [] and second["channels"]["superheat_k"]["values"] == []


def test_hourly_and_daily_buckets_hold_the_average_lowest_and_highest_of_the_raw_values(
    client: TestClient, world: World
) -> None:
    equipment_id = _seeded_unit(world)
    hours = [ROWS[0:3], ROWS[3:5], ROWS[5:6]]
    body = _get(client, world, equipment_id, channels="suction_pressure_mpag,superheat_k", circuit_no=1,
                resolution="hour", **_range(3)).json()  # fmt: skip
    series = body["circuits"][0]
    assert series["ts"] == ["2026-01-05T00:00:00Z", "2026-01-05T01:00:00Z", "2026-01-06T00:00:00Z"]
    assert series["readings"] == [3, 2, 1]
    ps = series["channels"]["suction_pressure_mpag"]
    assert ps["values"] == [sum(r[1] for r in h) / len(h) for h in hours]
    assert ps["min"] == [min(r[1] for r in h) for h in hours]
    assert ps["max"] == [max(r[1] for r in h) for h in hours]
    # a bucket's superheat: its average Ts minus its average Te, without extremes
    sh = series["channels"]["superheat_k"]
    assert sh["values"] == [sum(r[2] for r in h) / len(h) - sum(r[3] for r in h) / len(h) for h in hours]
    assert (sh["min"], sh["max"]) == (None, None)

    day = _get(client, world, equipment_id, channels="suction_pressure_mpag", circuit_no=1, resolution="day",
               **_range(3)).json()["circuits"][0]  # fmt: skip
    first_day = ROWS[0:5]
    assert day["ts"][0] == "2026-01-05T00:00:00Z" and day["readings"][0] == len(first_day)
    ps_day = day["channels"]["suction_pressure_mpag"]
    assert ps_day["values"][0] == sum(r[1] for r in first_day) / len(first_day)
    assert (ps_day["min"][0], ps_day["max"][0]) == (0.25, 1.5)


def test_explicit_raw_over_too_many_readings_is_refused_naming_the_resolution(client: TestClient, world: World) -> None:
    equipment_id = _unit(world)
    with psycopg.connect(world.url) as conn:
        conn.execute(
            """INSERT INTO telemetry (equipment_id, circuit_no, ts, suction_pressure_mpag)
               SELECT %s, 1, %s + g * interval '5 seconds', 0.3 FROM generate_series(0, 20000) g""",
            (equipment_id, START),
        )
    refused = _get(client, world, equipment_id, circuit_no=1, resolution="raw", **_range(3))
    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == "resolution"
    assert "20000" in refused.json()["error"]["message"]
    # chosen automatically, the same range falls back to hours rather than refusing
    auto = _get(client, world, equipment_id, circuit_no=1, **_range(2))
    assert auto.status_code == 200 and auto.json()["resolution"] == "hour"
    too_many_hours = _get(client, world, equipment_id, resolution="hour", **_range(900))
    assert too_many_hours.status_code == 422


def test_the_default_channels_are_the_pages_and_unknown_channels_are_refused_by_name(
    client: TestClient, world: World
) -> None:
    equipment_id = _seeded_unit(world)
    default = _get(client, world, equipment_id, **_range(1)).json()["circuits"][0]["channels"]
    assert list(default) == ["suction_pressure_mpag", "discharge_pressure_mpag", "superheat_k", "subcooling_k",
                             "cabinet_temp_c"]  # fmt: skip
    assert default["cabinet_temp_c"]["values"] == [-20.0] * 5
    unknown = _get(client, world, equipment_id, channels="suction_pressure_mpag,suction_presure", **_range(1))
    assert unknown.status_code == 422
    assert unknown.json()["error"]["field"] == "channels"
    assert "'suction_presure'" in unknown.json()["error"]["message"]
    flag = _get(client, world, equipment_id, channels="compressor_on", **_range(1))
    assert flag.status_code == 422 and "'compressor_on'" in flag.json()["error"]["message"]
    backwards = _get(client, world, equipment_id, **{"from": "2026-01-06T00:00:00Z", "to": "2026-01-05T00:00:00Z"})
    assert backwards.status_code == 422 and backwards.json()["error"]["field"] == "from"
    assert _get(client, world, equipment_id, circuit_no=3, **_range(1)).status_code == 422


@pytest.mark.parametrize("what", ["telemetry", "baseline"])
def test_a_unit_the_caller_may_not_see_is_not_found(client: TestClient, world: World, what: str) -> None:
    equipment_id = _seeded_unit(world)
    for who in ("outsider", "manager_other"):
        answer = _get(client, world, equipment_id, what, who=who, **_range(1))
        assert answer.status_code == 404, who
        assert answer.json()["error"]["code"] == "not_found"
    assert _get(client, world, 999_999_999, what, **_range(1)).status_code == 404
    assert client.get(URL.format(equipment_id, what)).status_code == 401


@pytest.mark.parametrize("what", ["telemetry", "baseline"])
def test_a_contractor_sees_the_units_of_the_sites_it_serves_only(client: TestClient, world: World, what: str) -> None:
    served, other = _seeded_unit(world, SITE_A), _seeded_unit(world, SITE_B)
    assert _get(client, world, served, what, who="contractor", **_range(1)).status_code == 200
    assert _get(client, world, other, what, who="contractor", **_range(1)).status_code == 404
    assert _get(client, world, other, what, who="manager_branch", **_range(1)).status_code == 200


def _store_model_and_verdicts(world: World, equipment_id: int) -> None:
    """A baseline of superheat only (8 K + 0.1 K per degree of ambient) and the detector's hours 0 and 24."""
    models = {"superheat_k": ValueModel(8.0, (0.1, 0.0, 0.0, 0.0, 0.0, 0.0), 0.5, 8.0)}
    baseline = Baseline(1, START.timestamp() - 86400 * 14, START.timestamp(), 300, (0.0,) * 6, (1.0,) * 6,
                        (-100.0,) * 6, (100.0,) * 6, models)  # fmt: skip
    with psycopg.connect(world.url) as conn:
        conn.execute("UPDATE telemetry SET ambient_temp_c = 20 WHERE equipment_id = %s", (equipment_id,))
        conn.execute("DELETE FROM rollup_watermark")  # rebuild the rollups with the ambient
        conn.execute("DELETE FROM telemetry_hourly WHERE equipment_id = %s", (equipment_id,))
        refresh_rollups(conn, datetime.now(UTC))
        conn.execute(
            """INSERT INTO detector_model (equipment_id, circuit_no, version, trained_from, trained_until, reason,
                   model) VALUES (%s, 1, 1, %s, %s, 'commissioning', %s)""",
            (equipment_id, START - timedelta(days=14), START, Jsonb({"format": 1, "baseline": baseline.to_json()})),
        )
        conn.execute(
            """INSERT INTO detector_hour (equipment_id, circuit_no, hour_utc, model_version, has_data, lost_pct,
                   sigma_pct) VALUES (%s, 1, %s, 1, true, 1.5, 0.5), (%s, 1, %s, 1, true, 2.5, 0.75)""",
            (equipment_id, START, equipment_id, START + timedelta(days=1)),
        )


def test_the_baseline_and_the_charge_estimate_are_drawn_on_the_hours_with_readings(
    client: TestClient, world: World
) -> None:
    equipment_id = _seeded_unit(world)
    _store_model_and_verdicts(world, equipment_id)
    body = _get(client, world, equipment_id, "baseline", **_range(3)).json()
    assert body["resolution"] == "hour"
    first, second = body["circuits"]
    assert (first["model_version"], first["trained_until"]) == (1, "2026-01-05T00:00:00Z")
    assert first["ts"] == ["2026-01-05T00:00:00Z", "2026-01-05T01:00:00Z", "2026-01-06T00:00:00Z"]
    # only what the baseline models of the page's channels: superheat; the cabinet has no baseline
    assert list(first["expected"]) == ["superheat_k"]
    assert first["expected"]["superheat_k"]["values"] == pytest.approx([10.0, 10.0, 10.0])
    assert first["expected"]["superheat_k"]["spread"] == pytest.approx([0.5, 0.5, 0.5])
    assert first["charge_lost_pct"] == [1.5, None, 2.5]
    assert first["charge_sigma_pct"] == [0.5, None, 0.75]
    # circuit 2: neither readings nor a model
    assert (second["model_version"], second["ts"], second["expected"]) == (None, [], {})

    daily = _get(client, world, equipment_id, "baseline", circuit_no=1, **_range(120)).json()
    assert daily["resolution"] == "day"
    day = daily["circuits"][0]
    assert day["ts"] == ["2026-01-05T00:00:00Z", "2026-01-06T00:00:00Z"]
    assert day["charge_lost_pct"] == [1.5, 2.5]
    assert day["expected"]["superheat_k"]["values"] == pytest.approx([10.0, 10.0])
