"""Schemathesis walks every operation of the OpenAPI schema with generated input, most of it malformed or
unexpected: no answer may be a server error (5xx). The calls carry a manager's bearer token, so they reach the
routes' code and not only the authentication; the app runs on its own database so that what the generated calls
write touches no other test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from psycopg_pool import ConnectionPool
from schemathesis.core.result import Ok

from api.app import create_app
from storage.db import open_pool
from tests.api.conftest import World, world_in


@pytest.fixture(scope="module")
def fuzzed_world(new_migrated_database: Callable[[str], str]) -> World:
    return world_in(new_migrated_database("schemathesis"))


@pytest.fixture(scope="module")
def fuzzed_pool(fuzzed_world: World) -> Iterator[ConnectionPool]:
    with open_pool(fuzzed_world.url, max_size=4) as opened:
        yield opened


@pytest.fixture(scope="module")
def fuzzed_app(fuzzed_pool: ConnectionPool) -> FastAPI:
    return create_app(fuzzed_pool)


@pytest.mark.slow
def test_no_operation_answers_a_server_error(fuzzed_app: FastAPI, fuzzed_world: World) -> None:
    """Every operation, up to 25 generated cases each. (Schemathesis' lazy pytest fixture does not run on
    pytest 9, so the operations are walked here, each under Hypothesis.)"""
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)
    auth = fuzzed_world["manager_branch"].auth
    server_errors: list[str] = []
    results = list(schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results)  # every operation of the schema could be read
    assert len(operations) > 40  # the whole API is walked, not an empty schema

    for operation in operations:

        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def call(case: schemathesis.Case[Any]) -> None:
            response = case.call(headers={**dict(case.headers or {}), **auth})
            if response.status_code >= 500:
                server_errors.append(f"{case.method} {case.formatted_path} -> {response.status_code}: "
                                     f"{response.text[:300]}")  # fmt: skip

        call()
    assert server_errors == []
