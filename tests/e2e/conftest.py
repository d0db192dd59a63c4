"""The dashboard end to end: the real app under uvicorn on a free port, a real migrated database seeded with the
API tests' world (tests/api/conftest.py: a company with two stores, a contractor serving store A, an outsider at
another company), passwords for the personas, and Debian's chromium driven by playwright.

Store A has a unit with two weeks of readings, a learned baseline, the detector's charge estimate, an open leak
alert, a confirmed leak with a repair ticket for the contractor, and a logbook entry; store B has a unit whose
first inspection is due soon, a new one and one disposed of; the outsider's company has a unit of its own (which
nobody at the first company may see, and the outsider sees only that one).

The app runs on a fixed clock (NOW) and everything is seeded relative to it, so the screenshots are the same on
every run.
"""

from __future__ import annotations

import json
import math
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import noto_cjk_sans_jp_regular
import psycopg
import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from api.app import create_app
from compliance.ticket_service import local_date
from detectors.baseline import Baseline, ValueModel
from fluorowatch.passwords import hash_password
from storage.db import open_pool
from storage.rollups import refresh_rollups
from storage.session_queries import set_password_hash
from tests.api.conftest import SITE_A, SITE_B, SITE_C, World, _build

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]  # fmt: skip
PASSWORD = "correct horse battery staple"
IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
NOW = datetime(2026, 6, 15, 3, 0, tzinfo=UTC)  # the app's clock: noon in Japan
POLL_SECONDS = 1  # how often the pages ask /live in the tests (they still print the default)


@dataclass(frozen=True)
class Seeded:
    world: World
    base_url: str
    unit_id: int  # store A's unit with readings, alert, ticket
    unit_no: str
    alert_id: int
    ticket_id: int
    outsider_unit_no: str
    confirmed_on: date


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _unit(conn: psycopg.Connection, site_id: int, management_no: str, installed_on: date = date(2024, 4, 1)) -> int:
    row = conn.execute(
        """INSERT INTO equipment (site_id, management_no, kind, refrigerant, charge_kg, installed_on)
           VALUES (%s, %s, 'showcase_remote', 'R404A', 8.0, %s) RETURNING id""",
        (site_id, management_no, installed_on),
    ).fetchone()
    assert row is not None
    conn.execute("INSERT INTO circuit (equipment_id, circuit_no) VALUES (%s, 1)", (row[0],))
    conn.execute("INSERT INTO compressor (equipment_id, circuit_no, rated_output_kw) VALUES (%s, 1, 11.0)", (row[0],))
    conn.execute(
        "INSERT INTO equipment_manager (equipment_id, manager_name, reason) VALUES (%s, 'Sakura Test Mart', 'owner')",
        (row[0],),
    )
    return int(row[0])


def _baseline(start: datetime, levels: dict[str, tuple[float, float]]) -> dict[str, Any]:
    """A learned baseline (detectors.baseline) whose expected values are the levels, whatever the weather."""
    models = {key: ValueModel(level, (0.0,) * 6, sigma, level) for key, (level, sigma) in levels.items()}
    since = (start - timedelta(days=30)).timestamp()
    wide = (1e9,) * 6
    return Baseline(1, since, start.timestamp(), 30 * 24, (0.0,) * 6, (1.0,) * 6, tuple(-w for w in wide), wide,
                    models).to_json()  # fmt: skip


def _readings(conn: psycopg.Connection, unit_id: int, now: datetime) -> None:
    """Two weeks of readings every 30 minutes; the subcooling sinks over the last days (the leak)."""
    start = now - timedelta(days=14)
    rows = []
    for i in range(14 * 48):
        at = start + timedelta(minutes=30 * i)
        day = 2 * math.pi * (at.hour + at.minute / 60) / 24
        sink = max(0.0, (i - 10 * 48) / 48) * 1.2
        rows.append((unit_id, at, 0.25 + 0.02 * math.sin(day), 1.75 + 0.1 * math.sin(day), -10.0 + 0.5 * math.sin(day),
                     -18.0, 38.0 + sink, 42.0, -3.0 + 0.3 * math.sin(day)))  # fmt: skip
    with conn.cursor() as cur:
        cur.executemany(
            """INSERT INTO telemetry (equipment_id, circuit_no, ts, suction_pressure_mpag, discharge_pressure_mpag,
                   suction_temp_c, evap_sat_temp_c, liquid_temp_c, cond_sat_temp_c, cabinet_temp_c)
               VALUES (%s, 1, %s, %s, %s, %s, %s, %s, %s, %s)""",
            rows,
        )
        model = {"baseline": _baseline(start, {
            "superheat_k": (8.0, 0.4), "subcooling_k": (4.0, 0.3), "suction_pressure_mpag": (0.25, 0.015),
            "discharge_pressure_mpag": (1.75, 0.08),
        })}  # fmt: skip
        cur.execute(
            """INSERT INTO detector_model (equipment_id, circuit_no, version, trained_from, trained_until, reason,
                   model)
               VALUES (%s, 1, 1, %s, %s, 'commissioning', %s)""",
            (unit_id, start - timedelta(days=30), start, json.dumps(model)),
        )
        cur.executemany(
            """INSERT INTO detector_hour (equipment_id, circuit_no, hour_utc, model_version, has_data, lost_pct)
               VALUES (%s, 1, %s, 1, true, %s)""",
            [(unit_id, start + timedelta(hours=h), max(0.0, (h - 240) / 96 * 4.0)) for h in range(14 * 24)],
        )
    refresh_rollups(conn, now)  # the hourly rollup the charts read (storage.telemetry_queries)


def _seed(world: World) -> Seeded:
    now = NOW
    today = local_date(now)
    confirmed_on = today - timedelta(days=5)
    with psycopg.connect(world.url) as conn:
        for persona in world.people.values():
            set_password_hash(conn, persona.user_id, hash_password(PASSWORD))
        unit_id = _unit(conn, world.sites[SITE_A], "SC-E2E-1")
        _unit(conn, world.sites[SITE_A], "SC-E2E-2")
        _unit(conn, world.sites[SITE_B], "SC-B-1", installed_on=today - timedelta(days=80))  # inspection due soon
        _unit(conn, world.sites[SITE_B], "SC-B-2", installed_on=today - timedelta(days=10))  # nothing due yet
        disposed = _unit(conn, world.sites[SITE_B], "SC-B-0", installed_on=date(2015, 4, 1))
        conn.execute("UPDATE equipment SET disposed_on = %s WHERE id = %s", (today - timedelta(days=30), disposed))
        _unit(conn, world.sites[SITE_C], "OTHER-9")
        _readings(conn, unit_id, now)
        alert = conn.execute(
            """INSERT INTO alert (equipment_id, circuit_no, category, severity, status, raised_at, updated_at, message,
                   evidence, detector, estimated_charge_loss_pct)
               VALUES (%s, 1, 'leak', 'high', 'raised', %s, %s, 'circuit 1 is losing refrigerant: subcooling down 4 K',
                   '["subcooling_k low"]', 'fusion', 4.0) RETURNING id""",
            (unit_id, now - timedelta(days=2), now - timedelta(days=2)),
        ).fetchone()
        leak = conn.execute(
            """INSERT INTO leak_case (equipment_id, circuit_no, confirmed_on, alert_id)
               VALUES (%s, 1, %s, %s) RETURNING id""",
            (unit_id, confirmed_on, alert[0] if alert else None),
        ).fetchone()
        contractor_id = conn.execute("SELECT id FROM contractor WHERE registration_no = 'API-0001'").fetchone()
        assert alert and leak and contractor_id
        ticket = conn.execute(
            """INSERT INTO ticket (equipment_id, circuit_no, leak_case_id, contractor_id, status, opened_at, updated_at)
               VALUES (%s, 1, %s, %s, 'dispatched', %s, %s) RETURNING id""",
            (unit_id, leak[0], contractor_id[0], now - timedelta(days=4), now - timedelta(days=4)),
        ).fetchone()
        assert ticket
        conn.execute(
            """INSERT INTO logbook_entry (equipment_id, circuit_no, kind, occurred_on, recorded_at, recorded_by,
                   details, source)
               VALUES (%s, 1, 'inspection', %s, %s, 'manager_site', %s, 'manual')""",
            (unit_id, today - timedelta(days=80), now,
             json.dumps({"inspector": "山田", "method": "simple", "result": "異常なし", "leak_found": False})),
        )  # fmt: skip
    return Seeded(world, "", unit_id, "SC-E2E-1", int(alert[0]), int(ticket[0]), "OTHER-9", confirmed_on)


@pytest.fixture(scope="session")
def seeded(new_migrated_database: Callable[[str], str]) -> Iterator[Seeded]:
    url = new_migrated_database("e2e")
    with psycopg.connect(url) as conn:
        world = _build(conn, url)
    seeded = _seed(world)
    port = _free_port()
    with open_pool(url, max_size=6) as pool:
        app = create_app(pool, clock=lambda: NOW)
        app.state.dashboard_poll_seconds = POLL_SECONDS  # the live updates, quickly (the pages print the default)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the app did not start")
            time.sleep(0.05)
        yield Seeded(**{**seeded.__dict__, "base_url": f"http://127.0.0.1:{port}"})
        server.should_exit = True
        thread.join(timeout=10)


def _fontconfig(directory: Path) -> Path:
    """A fontconfig file adding the Japanese font the PDFs embed (a Python package, so no system font package is
    needed) to the system's fonts: the screenshots show Japanese text rather than empty boxes."""
    font_dir = Path(noto_cjk_sans_jp_regular.__file__).parent
    config = directory / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f'<include ignore_missing="yes">/etc/fonts/fonts.conf</include><dir>{font_dir}</dir>'
        f"<cachedir>{directory / 'cache'}</cachedir></fontconfig>"
    )
    return config


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium chromium-driver (make test does it)")
    env: dict[str, str | float | bool] = {
        **os.environ,
        "FONTCONFIG_FILE": str(_fontconfig(tmp_path_factory.mktemp("fonts"))),
    }
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, env=env)
        yield launched
        launched.close()


SignIn = Callable[..., Page]


@pytest.fixture
def sign_in(browser: Browser, seeded: Seeded) -> Iterator[SignIn]:
    """``sign_in("manager_site", lang="ja")``: a fresh browser context signed in as the persona, on the fleet page."""
    contexts: list[BrowserContext] = []

    def open_as(name: str, lang: str = "ja", **options: Any) -> Page:
        context = browser.new_context(
            base_url=seeded.base_url, locale="ja-JP" if lang == "ja" else "en-US",
            viewport={"width": 1280, "height": 900}, accept_downloads=True, **options,
        )  # fmt: skip
        contexts.append(context)
        page = context.new_page()
        page.goto("/")
        assert "/login" in page.url
        page.fill("input[name=email]", f"{name}@example.jp")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{seeded.base_url}/")
        return page

    yield open_as
    for context in contexts:
        context.close()
