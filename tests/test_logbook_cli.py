"""`fluorowatch logbook`, run in-process against a real migrated database: finding the unit by its management
number (unique per site only), appending, correcting, exporting and taking over a logbook, and that no command
edits or deletes an entry (REGULATION.md (e))."""

from __future__ import annotations

import argparse
import itertools
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from openpyxl import load_workbook

from fluorowatch.cli import build_parser
from fluorowatch.domain.organisation import OrgPath, Site
from storage.registry import save_site
from tests.conftest import RunCli as Run

SITE_X, SITE_Y = "CLI-X", "CLI-Y"
CHARGE = json.dumps({"contractor": "冷熱サービス", "refrigerant": "R404A", "amount_kg": "2.5",
                     "occasion": "maintenance"}, ensure_ascii=False)  # fmt: skip
_units = itertools.count(1)

NewUnit = Callable[..., str]


@pytest.fixture(scope="module")
def cli_database(new_migrated_database: Callable[[str], str]) -> str:
    url = new_migrated_database("logbook_cli")
    with psycopg.connect(url) as conn:
        for code in (SITE_X, SITE_Y):
            save_site(conn, Site(code, f"store {code}", "13", "Tokyo", OrgPath.parse("CLI Mart")))
    return url


@pytest.fixture
def new_unit(cli_database: str) -> NewUnit:
    """A fresh unit with circuit 1 at each of ``sites`` under one management number, which it returns."""

    def make(*sites: str) -> str:
        management_no = f"CLI-{next(_units):03d}"
        with psycopg.connect(cli_database) as conn:
            for code in sites or (SITE_X,):
                conn.execute(
                    """WITH unit AS (
                           INSERT INTO equipment (site_id, management_no, kind, refrigerant, charge_kg)
                           SELECT id, %s, 'showcase_remote', 'R404A', %s FROM site WHERE site_code = %s
                           RETURNING id)
                       INSERT INTO circuit (equipment_id, circuit_no) SELECT id, 1 FROM unit""",
                    (management_no, Decimal("8.0"), code),
                )
        return management_no

    return make


@pytest.fixture
def run(cli_database: str, cli_at: Callable[[str], Run]) -> Run:
    """``run("logbook", "show", ...)`` -> (exit code, stdout, stderr), with the test database configured."""
    return cli_at(cli_database)


def _add(run: Run, unit: str, *more: str) -> int:
    code, out, err = run("logbook", "add", "--unit", unit, "--kind", "charge", "--on", "2026-03-02", "--by",
                         "山田 花子", "--circuit", "1", "--details", CHARGE, *more)  # fmt: skip
    assert code == 0, err
    return int(out)


def test_add_show_and_correct(run: Run, new_unit: NewUnit) -> None:
    unit = new_unit()
    original = _add(run, unit)
    code, out, _ = run("logbook", "show", "--unit", unit)
    assert code == 0
    assert out.splitlines() == [f"{original:>6}  2026-03-02  (7) 充塡 circuit 1  充塡回収業者: 冷熱サービス / "
                                "冷媒の種類: R404A / 量(kg): 2.5 / 設置時・整備時: 整備時"]  # fmt: skip
    fixed_details = CHARGE.replace('"2.5"', '"3.5"')
    code, out, err = run("logbook", "correct", "--entry", str(original), "--by", "鈴木 次郎", "--reason",
                         "転記誤り", "--details", fixed_details)  # fmt: skip
    assert code == 0, err
    fixed = int(out)
    shown = run("logbook", "show", "--unit", unit, "--site", SITE_X)[1].splitlines()
    assert shown[0].startswith(f"{original:>6}") and shown[0].endswith(f"[訂正済み → {fixed}]")
    assert shown[1].startswith(f"{fixed:>6}") and "量(kg): 3.5" in shown[1] and "訂正: 鈴木 次郎: 転記誤り" in shown[1]
    code, _, err = run("logbook", "correct", "--entry", str(original), "--by", "x", "--reason", "again",
                       "--details", CHARGE)  # fmt: skip
    assert (code, err.strip()) == (2, f"fluorowatch: error: entry {original} was corrected already by entry "
                                      f"{fixed}: correct that one")  # fmt: skip


def test_a_unit_without_entries_says_so(run: Run, new_unit: NewUnit) -> None:
    unit = new_unit()
    assert run("logbook", "show", "--unit", unit) == (0, f"{unit}: no entries\n", "")


def test_an_ambiguous_number_lists_the_sites_and_site_chooses(run: Run, new_unit: NewUnit) -> None:
    unit = new_unit(SITE_X, SITE_Y)
    code, out, err = run("logbook", "show", "--unit", unit)
    assert (code, out) == (2, "")
    sites = f"{SITE_X}, {SITE_Y}"
    assert err == f"fluorowatch: error: --unit {unit}: units at sites {sites} have this number; give --site\n"
    entry = _add(run, unit, "--site", SITE_Y)
    assert str(entry) in run("logbook", "show", "--unit", unit, "--site", SITE_Y)[1]
    assert run("logbook", "show", "--unit", unit, "--site", SITE_X)[1] == f"{unit}: no entries\n"


def test_an_unknown_number_or_entry_is_an_error(run: Run, new_unit: NewUnit) -> None:
    unit = new_unit()
    assert run("logbook", "show", "--unit", "NO-SUCH") == (2, "", "fluorowatch: error: --unit NO-SUCH: no such unit\n")
    code, _, err = run("logbook", "show", "--unit", unit, "--site", SITE_Y)
    assert (code, err) == (2, f"fluorowatch: error: --unit {unit}: no such unit at site {SITE_Y}\n")
    code, _, err = run("logbook", "correct", "--entry", "999999999", "--by", "x", "--reason", "r", "--details", CHARGE)
    assert (code, err) == (2, "fluorowatch: error: --entry 999999999: no logbook entry 999999999\n")


def test_bad_details_and_circuits_are_errors_and_nothing_is_written(run: Run, new_unit: NewUnit) -> None:
    unit = new_unit()
    code, _, err = run("logbook", "add", "--unit", unit, "--kind", "charge", "--on", "2026-03-02", "--by", "山田",
                       "--details", '{"contractor": "冷熱サービス"}')  # fmt: skip
    assert code == 2
    assert err.startswith("fluorowatch: error: a charge entry needs refrigerant")
    code, _, err = run("logbook", "add", "--unit", unit, "--kind", "charge", "--on", "2026-03-02", "--by", "山田",
                       "--circuit", "9", "--details", CHARGE)  # fmt: skip
    assert (code, err) == (2, f"fluorowatch: error: --circuit 9: {unit} has no such circuit\n")
    with pytest.raises(SystemExit) as exited:
        run("logbook", "add", "--unit", unit, "--kind", "charge", "--on", "2026-03-02", "--by", "山田",
            "--details", "[1, 2]")  # fmt: skip
    assert exited.value.code == 2
    assert run("logbook", "show", "--unit", unit)[1] == f"{unit}: no entries\n"


def test_export_writes_each_format(run: Run, new_unit: NewUnit, tmp_path: Path) -> None:
    unit = new_unit()
    entry = _add(run, unit)
    for fmt in ("csv", "xlsx", "json", "pdf"):
        out = tmp_path / f"logbook.{fmt}"
        code, printed, err = run("logbook", "export", "--unit", unit, "--format", fmt, "--out", str(out))
        assert (code, printed, err) == (0, f"{unit}: logbook written to {out} ({fmt})\n", "")
    csv_text = (tmp_path / "logbook.csv").read_bytes().decode("utf-8-sig")
    assert csv_text.splitlines()[1].startswith(f"{entry},2026-03-02,7,充塡,1,R404A,2.5,")
    sheet = load_workbook(tmp_path / "logbook.xlsx").active
    assert sheet is not None and sheet["A2"].value == entry
    assert [e["id"] for e in json.loads((tmp_path / "logbook.json").read_text("utf-8"))["entries"]] == [entry]
    assert (tmp_path / "logbook.pdf").read_bytes().startswith(b"%PDF")


def test_import_takes_over_a_sold_units_logbook(run: Run, new_unit: NewUnit, tmp_path: Path) -> None:
    sold, bought = new_unit(), new_unit()
    original = _add(run, sold)
    run("logbook", "correct", "--entry", str(original), "--by", "鈴木", "--reason", "転記誤り", "--details", CHARGE)
    document = tmp_path / "sold.json"
    run("logbook", "export", "--unit", sold, "--format", "json", "--out", str(document))
    assert run("logbook", "import", "--unit", bought, str(document)) == (
        0, f"{bought}: 2 entries taken over from {document}\n", "",
    )  # fmt: skip
    shown = run("logbook", "show", "--unit", bought)[1].splitlines()
    assert len(shown) == 2 and "訂正済み" in shown[0] and "訂正: 鈴木: 転記誤り" in shown[1]


def test_no_logbook_command_edits_or_deletes_an_entry() -> None:
    """Acceptance (REGULATION.md (e)): the only ways in are appending, correcting with a new entry and taking over
    a sold unit's logbook. The database refuses UPDATE, DELETE and TRUNCATE as well: tests/compliance/
    test_logbook.py::test_a_correction_keeps_both_entries_and_the_original_cannot_be_changed."""
    logbook = _subcommands(build_parser())["logbook"]
    assert set(_subcommands(logbook)) == {"show", "add", "correct", "export", "import"}


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)
