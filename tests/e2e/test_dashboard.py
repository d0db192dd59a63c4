"""The dashboard in a real browser: each persona sees only what it may; acknowledging an alert as the manager and
being refused as the contractor; an emergency charge and the second one refused with the rule; the logbook PDF;
the screenshots of docs/dashboard.md (docs/images/dashboard-*.png)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import psycopg
import pytest
from playwright.sync_api import FilePayload, Page, expect

from compliance.ticket_service import start_repair
from tests.api.conftest import SITE_A
from tests.e2e.conftest import IMAGES, NOW, Seeded, SignIn

pytestmark = pytest.mark.e2e


def _shot(page: Page, name: str) -> None:
    """A screenshot that is the same on every run: no focus ring, no hover, no animation, no caret."""
    IMAGES.mkdir(parents=True, exist_ok=True)
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.mouse.move(0, 0)
    page.screenshot(path=str(IMAGES / f"dashboard-{name}.png"), full_page=True, animations="disabled", caret="hide")


def test_unauthenticated_pages_redirect_to_login(browser, seeded: Seeded) -> None:
    context = browser.new_context(base_url=seeded.base_url, locale="en-US")
    page = context.new_page()
    page.goto(f"/units/{seeded.unit_id}")
    assert page.url.endswith(f"/login?next=/units/{seeded.unit_id}")
    expect(page.locator("h1")).to_have_text("Sign in")
    page.fill("input[name=email]", "manager_site@example.jp")
    page.fill("input[name=password]", "wrong password!!")
    page.click("button[type=submit]")
    expect(page.locator("#login .error")).to_have_text("The e-mail or password is not right")
    context.close()


def test_manager_sees_the_fleet_with_status_colours_and_the_unit_page(sign_in: SignIn, seeded: Seeded) -> None:
    page = sign_in("manager_site", lang="en")
    expect(page.locator("h1")).to_have_text("Fleet")
    row = page.locator("tr.unit", has_text=seeded.unit_no)
    expect(row).to_have_attribute("data-colour", "red")
    expect(row.locator(".status")).to_have_text("Act now")
    expect(row.locator(".status")).to_have_attribute("title", re.compile("1 open leak alert"))
    expect(row.locator(".reasons")).to_contain_text("1 confirmed leak(s) not yet repaired and verified")
    expect(page.locator("main")).not_to_contain_text(seeded.outsider_unit_no)
    for meaning in ("an overdue inspection", "an inspection due soon", "none of these", "disposed of"):
        expect(page.locator(".legend")).to_contain_text(meaning)
    _shot(page, "fleet-en")
    page.click(f"text={seeded.unit_no}")
    expect(page.locator("svg.chart")).to_have_count(6)
    expect(page.locator("svg.chart .band").first).to_be_visible()
    expect(page.locator("svg.chart polyline.series").first).to_be_visible()
    expect(page.locator("main")).to_contain_text("Charge estimate")
    expect(page.locator("main")).to_contain_text("subcooling down 4 K")
    expect(page.locator("table.logbook")).to_contain_text("点検内容(方法): 簡易点検")
    expect(page.locator("table.logbook")).to_contain_text("漏えいの有無: 無")
    expect(page.locator("main .facts")).to_contain_text("Charge (kg): 8.0 ")
    with page.expect_download() as download:
        page.locator("a.download", has_text="Logbook PDF").first.click()
    path = download.value.path()
    assert path is not None and path.read_bytes()[:4] == b"%PDF"


def test_japanese_pages_and_the_language_switch(sign_in: SignIn, seeded: Seeded) -> None:
    page = sign_in("manager_site", lang="ja")
    expect(page.locator("h1")).to_have_text("設備一覧")
    page.goto(f"/units/{seeded.unit_id}")
    expect(page.locator("main")).to_contain_text("過冷却度")
    _shot(page, "unit")
    page.click("a.lang")
    expect(page.locator("h2").first).to_contain_text("Operating values")
    page.click("a.lang")
    expect(page.locator("h2").first).to_contain_text("運転値")


def test_viewer_sees_store_a_and_the_contractor_only_what_it_serves(sign_in: SignIn, seeded: Seeded) -> None:
    viewer = sign_in("viewer")
    expect(viewer.locator("main")).to_contain_text(seeded.unit_no)
    expect(viewer.locator("main")).not_to_contain_text("store API-B")
    viewer.goto("/leakage")
    expect(viewer.locator("main")).to_contain_text("会社全体の権限を持つ人だけ")
    contractor = sign_in("contractor")
    expect(contractor.locator("main")).to_contain_text(seeded.unit_no)
    expect(contractor.locator("main")).not_to_contain_text("store API-B")
    contractor.goto("/tickets")
    expect(contractor.locator(f"section.ticket[data-ticket='{seeded.ticket_id}']")).to_be_visible()


def test_the_outsider_sees_nothing_of_the_company(sign_in: SignIn, seeded: Seeded) -> None:
    page = sign_in("outsider", lang="en")
    expect(page.locator("main")).to_contain_text(seeded.outsider_unit_no)
    for text in (seeded.unit_no, "store API-A", "store API-B"):
        expect(page.locator("main")).not_to_contain_text(text)
    page.goto("/alerts")
    expect(page.locator("main")).to_contain_text("No alerts")
    page.goto("/tickets")
    expect(page.locator("main")).to_contain_text("No tickets")
    response = page.goto(f"/units/{seeded.unit_id}")
    assert response is not None and response.status == 404


def test_contractor_is_refused_and_manager_acknowledges(sign_in: SignIn, seeded: Seeded) -> None:
    contractor = sign_in("contractor", lang="en")
    contractor.goto("/alerts")
    row = contractor.locator(f"tr.alert[data-alert='{seeded.alert_id}']")
    row.locator("button[data-action=acknowledge]").click()
    expect(row.locator(".error")).to_contain_text("only the unit's manager or a delegate")
    manager = sign_in("manager_site")
    manager.goto("/alerts")
    _shot(manager, "alerts")
    row = manager.locator(f"tr.alert[data-alert='{seeded.alert_id}']")
    row.locator("button[data-action=acknowledge]").click()
    expect(manager.locator(f"tr.alert[data-alert='{seeded.alert_id}'] .astatus")).to_have_text("確認済み")
    expect(manager.locator(f"tr.alert[data-alert='{seeded.alert_id}'] button[data-action=acknowledge]")).to_have_count(
        0
    )


def test_an_emergency_charge_once_and_the_second_refused_with_the_rule(sign_in: SignIn, seeded: Seeded) -> None:
    page = sign_in("contractor")
    page.goto("/tickets")
    card = page.locator(f"section.ticket[data-ticket='{seeded.ticket_id}']")
    expect(card.locator("aside.rule")).to_contain_text("60日以内")
    expect(card.locator("aside.rule")).to_contain_text("1回だけ")

    def charge(certificate_no: str) -> None:
        form = card.locator("form.charge-form")
        form.locator("input[name=kg]").fill("1.5")
        form.locator("input[name=certificate_no]").fill(certificate_no)
        form.locator("input[name=technician]").fill("冷熱 太郎")
        form.locator("input[name=qualification_no]").fill("Q-123")
        form.locator("select[name=emergency]").select_option("goods")
        form.locator("input[name=planned_repair_on]").fill((seeded.confirmed_on + timedelta(days=30)).isoformat())
        form.locator("button[type=submit]").click()

    charge("E2E-0001")
    expect(card.locator(".result")).to_have_text("充塡を記録しました")
    charge("E2E-0002")
    result = card.locator(".result")
    expect(result).to_contain_text("充塡できません")
    expect(result).to_contain_text("allowed once only")
    expect(result).to_contain_text("REGULATION.md (d2) case 2")
    _shot(page, "tickets")
    page.reload()
    expect(page.locator(f"section.ticket[data-ticket='{seeded.ticket_id}'] aside.rule .used")).to_be_visible()


def test_inspections_leakage_and_imports(sign_in: SignIn, seeded: Seeded) -> None:
    page = sign_in("admin")
    expect(page.locator("main")).to_contain_text("SC-B-1")
    expect(page.locator("tr.unit", has_text="SC-B-1")).to_have_attribute("data-colour", "amber")
    expect(page.locator("tr.unit", has_text="SC-B-0")).to_have_attribute("data-colour", "grey")
    expect(page.locator("tr.unit", has_text="SC-B-2")).to_have_attribute("data-colour", "green")
    expect(page.locator("section.site", has_text="store API-B")).to_have_attribute("data-colour", "amber")
    _shot(page, "fleet")  # every colour: a red and an amber site; red, amber, green and grey units
    page.goto("/inspections")
    expect(page.locator("tr.due-row").first).to_be_visible()
    colours = set(page.locator("tr.due-row").evaluate_all("rows => rows.map(r => r.dataset.colour)"))
    assert colours == {"black", "green", "red"}
    with page.expect_download() as download:
        page.click("a[href='/inspections/due.csv']")
    assert download.value.suggested_filename.endswith(".csv")
    _shot(page, "inspections")
    page.goto("/leakage")
    expect(page.locator("section.company h2")).to_have_text("Sakura Test Mart")
    with page.expect_download() as download:
        page.locator("a.busy-link", has_text="PDF").first.click()
    path = download.value.path()
    assert path is not None and path.read_bytes()[:4] == b"%PDF"
    _shot(page, "leakage")
    page.goto("/imports")
    page.select_option("select[name=what]", "sites")
    bad_rows = (
        b"site_code,name,prefecture_code,address,org_path\n"
        b"X-1,store X,13,,Sakura Test Mart\nX-2,store Y,99,,Sakura Test Mart\n"
    )
    page.set_input_files("input[name=file]", files=FilePayload(name="sites.csv", mimeType="text/csv", buffer=bad_rows))
    page.click("#import button[type=submit]")
    expect(page.locator("#import .result")).to_contain_text("取り込めませんでした")
    expect(page.locator("#import-errors tbody tr").first).to_be_visible()
    expect(page.locator("#import-errors tbody tr td").first).to_have_text("3")
    expect(page.locator("#import-errors tbody")).to_contain_text("prefecture_code")
    _shot(page, "imports")


def test_the_inbox_updates_itself_when_an_alert_is_raised(sign_in: SignIn, seeded: Seeded) -> None:
    page = sign_in("viewer", lang="en")
    page.goto("/alerts")
    expect(page.locator("footer.live")).to_contain_text("Updates every 20 seconds")  # what it says; it polls faster
    page.wait_for_timeout(1500)  # the first poll notes the fingerprint
    with psycopg.connect(seeded.world.url) as conn:
        conn.execute(
            """INSERT INTO alert (equipment_id, circuit_no, category, severity, status, raised_at, updated_at, message,
                   evidence, detector)
               VALUES (%s, 1, 'data_gap', 'low', 'raised', now(), now(), 'no readings for 2 hours', '[]', 'gaps')""",
            (seeded.unit_id,),
        )
    expect(page.locator("main")).to_contain_text("no readings for 2 hours", timeout=10_000)


def _unit_with_leak_alert(seeded: Seeded, management_no: str) -> tuple[int, int]:
    """A new unit at store A with a raised leak alert and no leak case: (equipment id, alert id)."""
    with psycopg.connect(seeded.world.url) as conn:
        unit = conn.execute(
            """INSERT INTO equipment (site_id, management_no, kind, refrigerant, charge_kg, installed_on)
               VALUES (%s, %s, 'showcase_remote', 'R404A', 6.0, '2024-04-01') RETURNING id""",
            (seeded.world.sites[SITE_A], management_no),
        ).fetchone()
        assert unit is not None
        conn.execute("INSERT INTO circuit (equipment_id, circuit_no) VALUES (%s, 1)", (unit[0],))
        alert = conn.execute(
            """INSERT INTO alert (equipment_id, circuit_no, category, severity, status, raised_at, updated_at, message,
                   evidence, detector, estimated_charge_loss_pct)
               VALUES (%s, 1, 'leak', 'high', 'raised', now(), now(), %s, '[]', 'fusion', 12.0) RETURNING id""",
            (unit[0], f"{management_no} is losing refrigerant"),
        ).fetchone()
        assert alert is not None
    return int(unit[0]), int(alert[0])


def test_the_manager_confirms_a_leak_from_the_inbox_and_the_contractor_gets_the_ticket(
    sign_in: SignIn, seeded: Seeded
) -> None:
    _, alert_id = _unit_with_leak_alert(seeded, "SC-E2E-3")
    contractor = sign_in("contractor", lang="en")
    contractor.goto("/alerts")
    refused = contractor.locator(f"tr.alert[data-alert='{alert_id}']")
    refused.locator("button[data-action=confirm-leak]").click()
    expect(refused.locator(".error")).to_contain_text("only the unit's manager or a delegate")
    manager = sign_in("manager_site", lang="en")
    manager.goto("/alerts")
    already = manager.locator(f"tr.alert[data-alert='{seeded.alert_id}']")
    expect(already.locator(".repair-ticket")).to_have_text(f"Repair ticket #{seeded.ticket_id}")
    expect(already.locator("button[data-action=confirm-leak]")).to_have_count(0)
    manager.locator(f"tr.alert[data-alert='{alert_id}'] button[data-action=confirm-leak]").click()
    expect(manager.locator(f"tr.alert[data-alert='{alert_id}'] .repair-ticket")).to_contain_text("Repair ticket #")
    contractor.goto("/tickets")
    expect(contractor.locator("main")).to_contain_text("SC-E2E-3")


def test_an_open_inbox_shows_a_ticket_opened_by_policy_without_a_reload(sign_in: SignIn, seeded: Seeded) -> None:
    unit, alert_id = _unit_with_leak_alert(seeded, "SC-E2E-4")
    page = sign_in("viewer", lang="en")
    page.goto("/alerts")
    expect(page.locator(f"tr.alert[data-alert='{alert_id}'] button[data-action=confirm-leak]")).to_have_count(1)
    page.wait_for_timeout(1500)  # the first poll notes the fingerprint
    with psycopg.connect(seeded.world.url) as conn:  # the policy's path: the alert itself does not change
        start_repair(conn, unit, 1, date(2026, 6, 14), opened_at=NOW, alert_id=alert_id)
    expect(page.locator(f"tr.alert[data-alert='{alert_id}'] .repair-ticket")).to_contain_text(
        "Repair ticket #", timeout=10_000
    )
