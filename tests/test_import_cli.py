"""`fluorowatch import`, run in-process against a real migrated database: the example files in order, and a
rejected file that prints every error as FILE:LINE: field: message, exits 2 and writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from openpyxl import Workbook

from tests.conftest import RunCli as Run

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "imports"


@pytest.fixture(scope="module")
def cli_database(new_migrated_database: Callable[[str], str]) -> str:
    return new_migrated_database("import_cli")


@pytest.fixture
def run(cli_database: str, cli_at: Callable[[str], Run]) -> Run:
    """``run("import", "sites", FILE)`` -> (exit code, stdout, stderr), with the test database configured."""
    return cli_at(cli_database)


def site_count(url: str) -> int:
    with psycopg.connect(url) as conn:
        return int(conn.execute("SELECT count(*) FROM site").fetchone()[0])  # type: ignore[index]


def test_the_examples_import_in_order_and_sites_again_are_updated(run: Run, cli_database: str) -> None:
    for what, created in (
        ("sites", "site 3"),
        ("equipment", "equipment 4"),
        ("certificates", "refrigerant_movement 4"),
    ):
        code, out, err = run("import", what, str(EXAMPLES / f"{what}.csv"))
        assert code == 0, err
        assert f"created {created}" in out
    code, out, _ = run("import", "sites", str(EXAMPLES / "sites.csv"))
    assert (code, out.strip()) == (0, f"{EXAMPLES / 'sites.csv'}: sites: 3 row(s); created nothing; updated site 3")
    assert site_count(cli_database) == 3


def test_a_rejected_file_prints_every_error_and_writes_nothing(run: Run, cli_database: str, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["site_code", "name", "prefecture_code", "address", "org_path"])
    sheet.append(["CLI-OK", "good", 13, "", "CLI Import Mart"])
    sheet.append(["CLI-BAD", "", 48, "", "CLI Import Mart"])
    sheet.append(["CLI-OK", "again", 13, "", "CLI Import Mart"])
    path = tmp_path / "sites.xlsx"
    book.save(path)
    before = site_count(cli_database)
    code, out, err = run("import", "sites", str(path))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"{path}:3: name: a value is required",
        f"{path}:3: prefecture_code: unknown prefecture code '48' (expected JIS X 0401 01..47)",
        f"{path}:4: site_code: CLI-OK is given already on line 2",
        f"{path}: 3 error(s); nothing was imported",
    ]
    assert site_count(cli_database) == before
