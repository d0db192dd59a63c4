"""`fluorowatch users password` and the password hashing behind it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from fluorowatch import passwords
from storage import session_queries as sq
from storage.token_queries import save_user


def _set(url: str, email: str, stdin: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLUOROWATCH_")} | {"DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "fluorowatch", "users", "password", "--email", email], input=stdin,
                          env=env, capture_output=True, text=True, timeout=120, check=False)  # fmt: skip


@pytest.fixture(scope="module")
def url(new_migrated_database: Callable[[str], str]) -> str:
    return new_migrated_database("password_cli")


def test_hashes_are_argon2id_salted_and_verify_only_the_password() -> None:
    first, second = passwords.hash_password("correct horse battery"), passwords.hash_password("correct horse battery")
    assert first.startswith("$argon2id$") and first != second
    assert passwords.verify_password(first, "correct horse battery")
    assert not passwords.verify_password(first, "correct horse batterY")
    assert not passwords.verify_password(None, "correct horse battery")
    assert not passwords.verify_password("not a hash", "correct horse battery")
    assert not passwords.needs_rehash(first) and passwords.needs_rehash("not a hash")


@pytest.mark.parametrize("weak", ["", "short", "elevenchars"])
def test_a_short_password_is_refused(weak: str) -> None:
    with pytest.raises(passwords.WeakPassword, match="at least 12"):
        passwords.hash_password(weak)


def test_the_command_reads_stdin_stores_the_hash_and_ends_sessions(url: str) -> None:
    now = datetime.now(UTC)
    with psycopg.connect(url) as conn:
        user_id = save_user(conn, "pw-cli@example.jp", "pw cli")
        opened = sq.open_session(conn, user_id, now=now, lifetime=timedelta(days=7), user_agent="", from_address="")
    result = _set(url, "PW-CLI@example.jp", "a long enough passphrase\n")
    assert result.returncode == 0, result.stderr
    assert "password set; 1 web session(s) ended" in result.stdout
    assert "a long enough passphrase" not in result.stdout + result.stderr
    with psycopg.connect(url) as conn:
        (stored,) = conn.execute("SELECT password_hash FROM app_user WHERE id = %s", (user_id,)).fetchone() or ("",)
        assert sq.live_session(conn, opened.token, now=now, idle=timedelta(hours=12)) is None
    assert passwords.verify_password(stored, "a long enough passphrase")


@pytest.mark.parametrize(
    ("email", "stdin", "message"),
    [
        ("pw-cli@example.jp", "too short\n", "at least 12 characters"),
        ("nobody@example.jp", "long enough here", "no such user"),
    ],
)
def test_the_command_explains_a_refusal_in_one_line(url: str, email: str, stdin: str, message: str) -> None:
    result = _set(url, email, stdin)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
