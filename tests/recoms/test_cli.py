"""The ``recoms`` command line, run as a user would (in-process, and one served subprocess)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from recoms.__main__ import main

DEMO = Path(__file__).parents[2] / "recoms" / "demo"
FEED = DEMO / "demo_store_feed.xml"
ORDERS = DEMO / "demo_orders_generated.csv"

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def recoms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Run:
    """Run ``recoms ARGS...`` on a fresh SQLite file; returns (status, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    monkeypatch.setenv("RECOMS_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")

    def run(*args: str) -> tuple[int, str, str]:
        try:
            status = main(list(args))
        except SystemExit as exit_:
            status = int(exit_.code or 0)
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


def test_import_rebuild_and_recommend(recoms: Run) -> None:
    status, out, _ = recoms("import-feed", str(FEED))
    assert status == 0
    assert "read 42, created 42" in out
    status, out, _ = recoms("import-orders", str(ORDERS))
    assert status == 0
    assert "orders created 400 (801 lines), contacts created 60" in out
    status, out, _ = recoms("import-orders", str(ORDERS))
    assert "orders created 0" in out
    assert "skipped 801: already imported" in out
    status, out, _ = recoms("rebuild")
    assert "built from 400 orders (801 lines)" in out
    assert "tuned on the orders from 2025-05-31 (held out)" in out
    assert "personal: all items NDCG@10" in out
    status, out, _ = recoms("rebuild", "--no-tune")
    assert "not tuned: tuning is off (--no-tune or RECOMS_TUNE=false); default settings" in out

    status, out, _ = recoms("recommend", "1", "--external-id", "olena-001")
    assert status == 0
    assert out.splitlines()[0].split()[:2] == ["1.", "quietly-spiraling-tea"]

    status, out, _ = recoms(
        "recommend", "3", "--products", "nervous-system-blanket", "--json", "--web-id", "w"
    )
    listed = json.loads(out)
    assert status == 0
    assert len(listed) == 10
    assert "nervous-system-blanket" not in [item["id"] for item in listed]
    assert {"id", "name", "url", "price", "descr", "brand", "category", "isInStock"} <= set(
        listed[0]
    )
    assert listed[0]["tags_image_link"].startswith("https://")


def test_data_sources_are_listed_created_and_changed(recoms: Run) -> None:
    status, out, _ = recoms("data-sources", "list", "--json")
    assert [source["algorithm"] for source in json.loads(out)] == [
        "personal",
        "bestsellers",
        "also_bought",
        "you_may_also_like",
        "alternatives",
        "other",
        "personal",
        "personal",
    ]
    status, out, _ = recoms(
        "data-sources", "create", "Cheaper", "alternatives", "--price-ratio-max", "1", "--json"
    )
    created = json.loads(out)
    assert (status, created["id"], created["params"]["priceRatioMax"]) == (0, 9, 1.0)
    status, out, _ = recoms(
        "data-sources", "create", "Again", "personal", "--purchased-only", "--json"
    )
    assert json.loads(out)["params"]["purchasedOnly"] is True
    status, out, _ = recoms(
        "data-sources", "update", "6", "--product-ids", "a,b", "--no-in-stock-only"
    )
    assert status == 0
    assert "product_ids=a,b" in out
    assert "in_stock_only=False" in out


def test_events_import_reports_bad_lines(recoms: Run, tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    good = {
        "GeneralInfo": {"eventName": "ProductPage", "externalCustomerId": "c-1"},
        "ProductPage": {"Product": {"productKey": "mug"}},
    }
    events.write_text(json.dumps(good) + "\n{oops\n", encoding="utf-8")
    status, out, _ = recoms("import-events", str(events))
    assert status == 0
    assert "read 2, stored 1, contacts created 1, rejected 1" in out
    assert "line 2: bad JSON" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("recommend", "99"), "data source 99 not found"),
        (("recommend", "3"), "needs products"),
        (("recommend", "0"), "must be a positive number"),
        (("import-orders", "missing.csv"), "missing.csv"),
        (("import-orders", str(ORDERS), "--columns", "order=Invoice"), "unknown column name"),
        (("import-orders", str(ORDERS), "--before", "yesterday"), "not a date"),
        (("import-orders", str(ORDERS), "--currency", "euro"), "three-letter"),
        (("import-feed", "ftp://example.com/feed.xml"), "http(s) URL"),
        (("import-events", "missing.jsonl"), "cannot read missing.jsonl"),
        (("data-sources", "update", "2", "--limit", "51"), "limit must be between 1 and 50"),
        (("data-sources", "create", "x", "magic"), "invalid choice"),
        (("frobnicate",), "invalid choice"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_status_2(
    recoms: Run, args: tuple[str, ...], message: str
) -> None:
    status, out, err = recoms(*args)
    assert status == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    assert out == ""


def test_bad_settings_are_reported_by_name(recoms: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECOMS_MODEL_REFRESH_SECONDS", "soon")
    status, _, err = recoms("stats")
    assert status == 2
    assert "RECOMS_MODEL_REFRESH_SECONDS" in err


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["import-feed"],
        ["import-orders"],
        ["import-events"],
        ["rebuild"],
        ["recommend"],
        ["data-sources"],
        ["data-sources", "list"],
        ["data-sources", "create"],
        ["data-sources", "update"],
        ["stats"],
        ["serve"],
        ["demo"],
        ["evaluate"],
    ],
)
def test_every_command_has_help(recoms: Run, command: list[str]) -> None:
    status, out, _ = recoms(*command, "--help")
    assert status == 0
    assert out.startswith("usage: recoms")


def wait_until_healthy(base: str, seconds: float = 60) -> None:
    """Until ``base``'s /healthz answers (a server starting in a subprocess), or ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_demo_serves_recommendations_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = dict(os.environ, RECOMS_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}")
    env.pop("RECOMS_API_KEY", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "recoms", "demo", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        example = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not example:
            line = process.stdout.readline()
            if not line:
                break
            if "externalCustomerId=olena-001" in line:
                example = line.split()[0]
        assert example, process.stderr.read() if process.stderr else ""
        with urllib.request.urlopen(example, timeout=10) as response:
            listed = json.loads(response.read())
        assert listed[0]["id"] == "quietly-spiraling-tea"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_evaluate_scores_a_running_api_over_http(tmp_path: Path, recoms: Run) -> None:
    from tests.recoms.evaluation.test_evaluate import SPLIT, write_orders

    orders = write_orders(tmp_path / "history.csv")
    status, _, _ = recoms("import-orders", str(orders), "--before", SPLIT.isoformat())
    assert status == 0
    assert recoms("rebuild")[0] == 0
    port = free_port()
    env = dict(os.environ, RECOMS_DATABASE_URL=os.environ["RECOMS_DATABASE_URL"])
    env.pop("RECOMS_API_KEY", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "recoms", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_healthy(base)
        status, out, err = recoms(
            "evaluate", str(orders), "--split-date", SPLIT.isoformat(), "--url", base
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert status == 0, err
    assert "personal (HTTP)" in out
    assert "also_bought (HTTP)" in out


def test_evaluate_says_when_the_api_cannot_be_reached(tmp_path: Path, recoms: Run) -> None:
    from tests.recoms.evaluation.test_evaluate import SPLIT, write_orders

    orders = write_orders(tmp_path / "history.csv")
    url = f"http://127.0.0.1:{free_port()}"
    status, _, err = recoms(
        "evaluate", str(orders), "--split-date", SPLIT.isoformat(), "--url", url
    )
    assert status == 2
    assert "cannot be reached" in err
    assert "Traceback" not in err


def test_import_orders_reads_the_encoding_it_is_given(recoms: Run, tmp_path: Path) -> None:
    orders = tmp_path / "cp1251.csv"
    orders.write_bytes(
        "order_id,product_id,quantity,ordered_at,product_name\n1,mug,1,2025-01-01,Кружка\n".encode(
            "cp1251"
        )
    )
    status, _, err = recoms("import-orders", str(orders))
    assert status == 2
    assert "line 2 is not valid utf-8" in err
    assert "give its encoding with --encoding" in err
    assert len(err.strip().splitlines()) == 1
    status, _, err = recoms("import-orders", str(orders), "--encoding", "klingon")
    assert (status, err.strip()) == (2, "recoms: error: unknown encoding 'klingon'")
    status, out, _ = recoms("import-orders", str(orders), "--encoding", "cp1251")
    assert status == 0
    assert "orders created 1 (1 lines)" in out
    status, out, _ = recoms("recommend", "2", "--json")
    assert json.loads(out)[0]["name"] == "Кружка"


def test_serve_runs_several_workers_on_one_port(tmp_path: Path) -> None:
    port = free_port()
    env = dict(os.environ, RECOMS_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}")
    env.pop("RECOMS_API_KEY", None)
    assert (
        subprocess.run(
            [sys.executable, "-m", "recoms", "stats"], cwd=tmp_path, env=env, capture_output=True
        ).returncode
        == 0
    )  # migrated once, before the workers start together
    server = subprocess.Popen(
        [sys.executable, "-m", "recoms", "serve", "--port", str(port), "--workers", "2"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_healthy(base)
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        assert len(children) == 2
        for _ in range(20):
            with urllib.request.urlopen(f"{base}/api/v2/contacts/recoms/2?webId=v") as response:
                assert response.status == 200
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
        assert all(not Path(f"/proc/{child}").exists() for child in children)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_several_workers_need_a_port_of_their_own(
    recoms: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECOMS_PORT", "0")
    status, _, err = recoms("serve", "--workers", "2")
    assert status == 2
    assert "not 0" in err
