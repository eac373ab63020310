"""Oversized or malformed requests get the API's JSON error, and no log line quotes a query."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from tests.recoms.api.conftest import Client

VICTIM = "victim@example.com"
QUERY = "email=victim%40example.com"


async def exchange(client: Client, request: bytes) -> tuple[int, dict[str, str], dict[str, str]]:
    """Send ``request`` as raw bytes; the status, headers and JSON body of the answer."""
    assert client.server.port is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", client.server.port)
    try:
        writer.write(request)
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), timeout=10)
    finally:
        writer.close()
        await writer.wait_closed()
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    status = int(status_line.split()[1])
    assert headers["content-type"].startswith("application/json"), (status, body[:200])
    parsed = json.loads(body)
    assert set(parsed) == {"error", "message"}
    return status, headers, parsed


def get(target: str, *headers: str) -> bytes:
    lines = [f"GET {target} HTTP/1.1", "Host: 127.0.0.1", *headers, "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    # Everything the web server and the engine log; the database drivers log statement
    # parameters at DEBUG, which deployments keep off (see the composition roots).
    caplog.set_level(logging.INFO)
    for name in ("aiohttp", "recoms"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def assert_no_query_logged(logs: pytest.LogCaptureFixture) -> None:
    for record in logs.records:
        text = record.getMessage() + str(record.exc_info or "") + str(record.exc_text or "")
        assert "victim" not in text, text


async def test_a_request_line_over_64_kib_is_414(
    client: Client, logs: pytest.LogCaptureFixture
) -> None:
    status, _, body = await exchange(
        client, get(f"/api/v1/contacts/profile?{QUERY}&x={'a' * 70_000}")
    )
    assert status == 414
    assert body["error"] == "uri_too_long"
    assert "65536 bytes" in body["message"]
    assert "victim" not in body["message"]
    assert_no_query_logged(logs)


async def test_a_long_header_is_431(client: Client, logs: pytest.LogCaptureFixture) -> None:
    status, _, body = await exchange(client, get(f"/api/v1/stats?{QUERY}", f"X-A: {'b' * 9000}"))
    assert status == 431
    assert "header" in body["message"]
    status, _, body = await exchange(client, get("/api/v1/stats", f"{'N' * 9000}: 1"))
    assert status == 431
    assert_no_query_logged(logs)


async def test_too_many_headers_are_431(client: Client) -> None:
    many = [f"X-{n}: 1" for n in range(200)]
    status, _, body = await exchange(client, get("/api/v1/stats", *many))
    assert status == 431
    assert body["message"] == "too many request headers"


async def test_a_body_over_the_limit_is_413(
    client: Client, logs: pytest.LogCaptureFixture
) -> None:
    request = (
        f"POST /api/v1/events?{QUERY} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        "Content-Type: application/json\r\nContent-Length: 5000000\r\n\r\n"
    ).encode() + b"[" * 5_000_000
    status, _, body = await exchange(client, request)
    assert status == 413
    assert body["error"] == "too_large"
    assert_no_query_logged(logs)


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"zz\r\nabc\r\n0\r\n\r\n",
        b"GET /api/v1/stats?email=victim%40example.com HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Bad\x01: x\r\n\r\n",
        b"G\x00T /api/v1/stats?email=victim%40example.com HTTP/1.1\r\n\r\n",
        b"GET /api/v1/stats?email=victim%40example.com HTTP/9.9\r\n\r\n",
    ],
)
async def test_malformed_http_is_a_json_400(
    client: Client, logs: pytest.LogCaptureFixture, request_bytes: bytes
) -> None:
    status, _, body = await exchange(client, request_bytes)
    assert status == 400
    assert "victim" not in body["message"]
    assert_no_query_logged(logs)


async def test_a_long_query_value_still_reaches_validation(client: Client) -> None:
    status, _, body = await exchange(
        client, get(f"/api/v2/contacts/recoms/1?email={'x' * 10_000}")
    )
    assert status == 400
    assert body["message"].startswith("email")


async def test_the_access_log_has_the_path_and_no_query(
    client: Client, logs: pytest.LogCaptureFixture
) -> None:
    response = await client.get(f"/api/v1/contacts/profile?{QUERY}&phone=%2B380501110001")
    assert response.status == 200
    lines = [r.getMessage() for r in logs.records if r.name == "recoms.access"]
    assert any('"GET /api/v1/contacts/profile" 200' in line for line in lines), lines
    assert_no_query_logged(logs)
    assert not any("380501110001" in r.getMessage() for r in logs.records)
