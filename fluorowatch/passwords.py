"""People's passwords: argon2id through argon2-cffi (its `PasswordHasher` defaults follow RFC 9106's
recommendations and change with the library; a stored hash made with older parameters is re-made at the next
successful sign-in, see `needs_rehash`).

Signing in with an unknown e-mail address still runs one verification against a fixed hash, so the answer takes
as long as for a known address with a wrong password.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 1024  # argon2 takes any length; a bound keeps a megabyte "password" from being hashed

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not the password of anybody, only spent time")


class WeakPassword(ValueError):
    """The new password is refused (too short or too long)."""


def check_new_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"the password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"the password may have at most {MAX_LENGTH} characters")
    return password


def hash_password(password: str) -> str:
    return _hasher.hash(check_new_password(password))


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash``; a missing or malformed hash matches nothing (and costs the
    same time as a real verification)."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether the hash was made with other parameters than the hasher's present ones."""
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def rehash(password: str) -> str:
    """A hash of an accepted password with the present parameters (no length rule: it was already accepted)."""
    return _hasher.hash(password)
