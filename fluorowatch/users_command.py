"""`fluorowatch users`: add people with a role at a site, an organisation level or a contractor, set the password
they sign in with, and issue or revoke their API bearer tokens. A token is printed once, alone on stdout
(``TOKEN=$(fluorowatch users token ...)``); only its hash is stored, so a lost token is revoked and a new one
issued. A new password is read from stdin (``printf '%s' "$PW" | fluorowatch users password --email ...``), or
asked for twice when stdin is a terminal; it is stored argon2-hashed, and the person's open web sessions end.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import psycopg

from fluorowatch import passwords
from fluorowatch.runtime import LOCAL_DATABASE_URL
from storage import session_queries as sessions
from storage import token_queries as q
from storage.db import wait_for_database

if TYPE_CHECKING:
    from fluorowatch.settings import Settings


def add_users_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    users = commands.add_parser("users", help="add people and their roles; issue and revoke API tokens")
    sub = users.add_subparsers(title="users commands", required=True, metavar="COMMAND")

    add = sub.add_parser("add", help="add a person (or give an existing one another role)")
    add.add_argument("--email", required=True)
    add.add_argument("--name", help="display name (default: the e-mail address)")
    add.add_argument("--role", required=True, choices=q.ROLES)
    where = add.add_mutually_exclusive_group(required=True)
    where.add_argument("--site", metavar="SITE_CODE", help="the role holds at this site")
    where.add_argument(
        "--organisation", metavar="PATH", help='the role holds at this level and below, e.g. "Sakura Mart/Kanto"'
    )
    where.add_argument("--contractor", metavar="REG_NO", help="a contractor's staff: its registration number")
    add.set_defaults(handler=run_users_add)

    token = sub.add_parser("token", help="issue a bearer token for the API and print it once")
    token.add_argument("--email", required=True)
    token.add_argument("--name", default="", help="what the token is for, e.g. the integration's name")
    token.set_defaults(handler=run_users_token)

    password = sub.add_parser("password", help="set a person's password (read from stdin, or asked for)")
    password.add_argument("--email", required=True)
    password.set_defaults(handler=run_users_password)

    revoke = sub.add_parser("revoke", help="revoke a person's API tokens (all, or one by --token-id)")
    revoke.add_argument("--email", required=True)
    revoke.add_argument("--token-id", type=int, help="only this token")
    revoke.set_defaults(handler=run_users_revoke)


def run_users_add(settings: Settings, args: argparse.Namespace) -> int:
    if "@" not in args.email.strip()[1:]:
        raise ValueError(f"--email {args.email}: not an e-mail address")
    with _connect(settings) as conn:
        scope, where = _scope(conn, args)
        if args.role == "contractor" and "contractor_id" not in scope:
            raise ValueError("--role contractor needs --contractor REG_NO")
        if args.role != "contractor" and "contractor_id" in scope:
            raise ValueError(f"--contractor goes with --role contractor, not {args.role}")
        user_id = q.save_user(conn, args.email, args.name)
        added = q.grant_role(conn, user_id, args.role, **scope)
        conn.commit()
    state = "added" if added else "already held"
    print(f"{args.email} (user {user_id}): {args.role} at {where} — {state}")
    return 0


def run_users_token(settings: Settings, args: argparse.Namespace) -> int:
    with _connect(settings) as conn:
        user_id = _user(conn, args.email)
        token_id, token = q.issue_token(conn, user_id, args.name)
        conn.commit()
    print(token)
    print(f"token {token_id} for {args.email}: shown once, store it now (revoke: fluorowatch users revoke "
          f"--email {args.email} --token-id {token_id})", file=sys.stderr)  # fmt: skip
    return 0


def run_users_password(settings: Settings, args: argparse.Namespace) -> int:
    new = passwords.check_new_password(_read_password())
    with _connect(settings) as conn:
        user_id = _user(conn, args.email)
        sessions.set_password_hash(conn, user_id, passwords.hash_password(new))
        ended = sessions.revoke_sessions_of(conn, user_id, now=datetime.now(UTC))
        conn.commit()
    print(f"{args.email}: password set; {ended} web session(s) ended")
    return 0


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("New password: ")
        if getpass.getpass("Again: ") != first:
            raise ValueError("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def run_users_revoke(settings: Settings, args: argparse.Namespace) -> int:
    with _connect(settings) as conn:
        revoked = q.revoke_tokens(conn, _user(conn, args.email), args.token_id)
        conn.commit()
    print(f"{args.email}: {revoked} token(s) revoked")
    return 0


def _scope(conn: psycopg.Connection, args: argparse.Namespace) -> tuple[dict[str, int], str]:
    """The role's scope as role_assignment columns, and how to say it."""
    if args.site is not None:
        site_id = q.site_by_code(conn, args.site)
        if site_id is None:
            raise ValueError(f"--site {args.site}: no such site")
        return {"site_id": site_id}, f"site {args.site}"
    if args.organisation is not None:
        names = [part.strip() for part in args.organisation.split("/") if part.strip()]
        org_id = q.organisation_by_path(conn, names)
        if org_id is None:
            raise ValueError(f"--organisation {args.organisation}: no such organisation (company first, '/' between)")
        return {"organisation_id": org_id}, f"organisation {'/'.join(names)}"
    found = q.contractors_by_registration(conn, args.contractor)
    if len(found) != 1:
        raise ValueError(f"--contractor {args.contractor}: " + ("no such contractor" if not found else
                         f"{len(found)} contractors have this number in different prefectures"))  # fmt: skip
    return {"contractor_id": found[0]}, f"contractor {args.contractor}"


def _user(conn: psycopg.Connection, email: str) -> int:
    user_id = q.user_by_email(conn, email)
    if user_id is None:
        raise ValueError(f"--email {email}: no such user (add one with: fluorowatch users add)")
    return user_id


def _connect(settings: Settings) -> psycopg.Connection:
    url = settings.database_url or LOCAL_DATABASE_URL
    wait_for_database(url, settings.database_wait_seconds)
    conn = psycopg.connect(url)
    if conn.execute("SELECT to_regclass('api_token')").fetchone() != (None,):
        return conn
    conn.close()
    raise ValueError("the database has no API tokens table yet; run `fluorowatch migrate` first")
