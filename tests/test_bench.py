"""scripts/bench.py without wrk (`make test` does not install it): the command line it
builds for wrk, the parsing of bench.lua's result line, how batches add up, the memory
verdict, and the login through the real login form it does before the load."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("tandem_bench", ROOT / "scripts" / "bench.py")
bench = importlib.util.module_from_spec(_spec)
sys.modules["tandem_bench"] = bench
_spec.loader.exec_module(bench)

WRK_STDOUT = """Running 2s test @ http://127.0.0.1:8765
  2 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    20.31ms    4.10ms  61.20ms   90.00%
  197 requests in 2.00s, 3.10MB read
Requests/sec:     98.43
BENCH-RESULT {"requests": 197, "duration_us": 2001500, "non2xx": 0, "first_bad_status": 0, \
"connect_errors": 0, "read_errors": 0, "write_errors": 0, "timeouts": 0, "p50_us": 19850, \
"p95_us": 27300, "p99_us": 60120, "max_us": 61200}
"""


def test_wrk_command_for_a_get_with_a_session():
    command = bench._wrk_command(
        8765,
        "/sales/quotes/?page=3",
        {"Cookie": "sessionid=abc; csrftoken=tok", "X-CSRFToken": "tok"},
        seconds=2,
        connections=2,
        threads=2,
    )
    assert command == [
        "wrk",
        "--threads=2",
        "--connections=2",
        "--duration=2s",
        "--timeout=30s",
        f"--script={ROOT / 'scripts' / 'bench.lua'}",
        "http://127.0.0.1:8765",
        "--",
        "GET",
        "/sales/quotes/?page=3",
        "HX-Forwarded-Proto: https",
        "HHost: 127.0.0.1",
        # The browser's cookies; the CSRF header only goes with unsafe methods.
        "HCookie: sessionid=abc; csrftoken=tok",
    ]


def test_wrk_command_for_the_promise_patch_sends_the_csrf_header_and_the_bodies():
    command = bench._wrk_command(
        8765,
        ("PATCH", "/api/v1/quotes/q/lines/l/", [{"quantity": 3}, {"quantity": 4}]),
        {"Cookie": "sessionid=abc; csrftoken=tok", "X-CSRFToken": "tok"},
        seconds=1,
        connections=4,
        threads=2,
    )
    assert command[1:4] == ["--threads=2", "--connections=4", "--duration=1s"]
    assert command[command.index("--") + 1 :] == [
        "PATCH",
        "/api/v1/quotes/q/lines/l/",
        "HX-Forwarded-Proto: https",
        "HHost: 127.0.0.1",
        "HCookie: sessionid=abc; csrftoken=tok",
        "HContent-Type: application/json",
        "HX-CSRFToken: tok",
        "HOrigin: https://127.0.0.1",
        'B{"quantity": 3}',
        'B{"quantity": 4}',
    ]


def test_wrk_command_gives_each_thread_its_own_quote_for_the_promise_patch():
    # bench.lua: wrk's n-th thread sends the n-th of the space-separated paths, so two
    # connections edit two quotes and neither waits for the other's lock of the quote.
    command = bench._wrk_command(
        8765,
        ("PATCH", ("/api/v1/quotes/a/lines/1/", "/api/v1/quotes/b/lines/2/"), [{"quantity": 3}]),
        {"Authorization": "Token t"},
        seconds=1,
        connections=2,
        threads=2,
    )
    after = command[command.index("--") + 1 :]
    assert after[:2] == ["PATCH", "/api/v1/quotes/a/lines/1/ /api/v1/quotes/b/lines/2/"]
    lua = (ROOT / "scripts" / "bench.lua").read_text()
    assert 'thread:set("thread_number", #threads)' in lua
    assert "paths[((thread_number or 1) - 1) % #paths + 1]" in lua


def test_wrk_command_with_an_api_token_and_fewer_connections_than_threads():
    command = bench._wrk_command(
        9000, "/api/v1/orders/", {"Authorization": "Token k"}, 3, connections=1, threads=2
    )
    # wrk refuses more threads than connections.
    assert command[1:4] == ["--threads=1", "--connections=1", "--duration=3s"]
    assert command[-1] == "HAuthorization: Token k"
    assert command[6] == "http://127.0.0.1:9000"


def test_parse_wrk_result_line():
    assert bench._parse_wrk(WRK_STDOUT) == {
        "requests": 197,
        "wall": 2.0015,
        "errors": 0,
        "status": 0,
        "p50": 19.85,
        "p95": 27.3,
        "p99": 60.12,
    }


def test_parse_wrk_counts_responses_outside_2xx_and_socket_errors():
    raw = json.loads(WRK_STDOUT.split("BENCH-RESULT ")[1])
    raw.update(non2xx=7, first_bad_status=302, read_errors=2, timeouts=1)
    parsed = bench._parse_wrk(f"noise\nBENCH-RESULT {json.dumps(raw)}\n")
    assert (parsed["errors"], parsed["status"]) == (10, 302)


@pytest.mark.parametrize("stdout", ["Running 1s test\n", WRK_STDOUT + WRK_STDOUT])
def test_parse_wrk_refuses_output_without_exactly_one_result_line(stdout):
    with pytest.raises(RuntimeError, match="result line"):
        bench._parse_wrk(stdout)


def test_bench_lua_prints_every_field_the_parser_reads():
    lua = (ROOT / "scripts" / "bench.lua").read_text()
    printed = set(re.findall(r'\\?"(\w+)\\?": %d', lua))
    assert printed == set(json.loads(WRK_STDOUT.split("BENCH-RESULT ")[1]))
    # wrk itself counts only statuses >= 400: the script counts every status outside 2xx.
    assert "status < 200 or status > 299" in lua


def test_batches_add_up_and_keep_percentiles_per_batch():
    sample = bench._sample()
    first = bench._parse_wrk(WRK_STDOUT)
    bench._add(sample, first)
    bench._add(sample, {**first, "requests": 3, "wall": 1.0, "errors": 3, "status": 500})
    bench._add(sample, {**first, "requests": 0, "wall": 1.0, "p50": 0.0})
    assert sample["requests"] == 200
    assert sample["errors"] == 3
    assert sample["status"] == 500
    assert sample["wall"] == pytest.approx(4.0015)
    # A batch without a response has no percentiles to count.
    assert sample["p50"] == [19.85, 19.85]
    assert bench._rps(sample) == pytest.approx(200 / 4.0015)


def _result(before, at, after, at_requests=20_400, rounds=()):
    return {
        "requests": 90_000,
        "memory": {
            "before": before,
            "at": at,
            "at_requests": at_requests,
            "after": after,
            "rounds": list(rounds),
        },
    }


def test_memory_verdict_is_the_growth_over_10000_requests_per_worker():
    text = bench._server_memory_markdown(_result([100, 110], [105, 118], [140, 140]))[0]
    assert "after 20,400 requests (about 10,200 per worker" in text
    assert "105 MB, 118 MB (+5.0%, +7.3%)" in text
    assert "less than 10% over 10,000 requests: ok." in text
    # The end of a long run is reported, not judged.
    assert "after 90,000 requests: 140 MB, 140 MB (+40.0%, +27.3% since the warm-up)" in text


@pytest.mark.parametrize(("at", "why"), [([111, 110], "grew 11%"), ([100, 151], "over 150 MB")])
def test_memory_verdict_misses(at, why):
    text = bench._server_memory_markdown(_result([100, 110], at, at))[0]
    assert "**missed**" in text, why


def test_memory_without_10000_requests_per_worker_has_no_verdict():
    text = bench._server_memory_markdown(_result([100, 110], [], [101, 111], 0))[0]
    assert "fewer than 10,000 requests per worker: no verdict" in text
    assert "ok." not in text and "missed" not in text


def test_markdown_fails_an_endpoint_with_errors(tmp_path):
    row = {
        "name": "staff quote list p1",
        "kind": "html-list",
        "queries": 6,
        "seq_scans": "",
        "p50": 20.0,
        "p95": 30.0,
        "p99": 40.0,
        "rps": 50.0,
        "ratio": 0.3,
        "errors": 12,
        "error_status": 302,
    }
    result = {
        **_result([100, 100], [], [100, 100], 0),
        "size": "S",
        "rows": {"customers": 1, "quotes": 2, "orders": 3},
        "seed_seconds": 1.0,
        "workers": 2,
        "threads": 2,
        "connections": 2,
        "load_tool": "wrk 4.1.0",
        "seconds": 2,
        "rounds": 3,
        "machine": "test",
        "promise_in_process_ms": 50.0,
        "endpoints": [row],
    }
    text = bench._markdown(result, tmp_path)
    assert "| 0.30 | **FAILED**: 12 responses outside 2xx or errors (first status 302) |" in text
    assert "wrk 4.1.0 (`scripts/bench.lua`) over loopback, 2 connections on 2 threads" in text


@pytest.mark.django_db(transaction=True)
def test_login_through_the_form_over_http(live_server, sales_rep, password):
    """The session bench.py loads pages with comes from the real login form (with its
    CSRF token), and its CSRF header passes an unsafe request's check."""
    port = int(live_server.url.rsplit(":", 1)[1])
    headers = bench._login(port, sales_rep.username, password)
    assert re.fullmatch(r"sessionid=\w+; csrftoken=\w+", headers["Cookie"])
    client = bench.Client(port, headers)
    assert client.get("/sales/quotes/")[0] == 200

    no_csrf = bench.Client(port, {"Cookie": headers["Cookie"]})
    assert no_csrf.get(("POST", "/accounts/logout/", [{}]))[0] == 403
    assert client.get(("POST", "/accounts/logout/", [{}]))[0] == 302
    assert client.get("/sales/quotes/")[0] == 302  # logged out: the login page


@pytest.mark.django_db(transaction=True)
def test_login_with_a_wrong_password_fails_loudly(live_server, sales_rep):
    port = int(live_server.url.rsplit(":", 1)[1])
    with pytest.raises(RuntimeError, match=f"logging in {sales_rep.username}"):
        bench._login(port, sales_rep.username, "not-the-password")


def test_in_process_clients_log_in_through_the_form(sales_rep, password):
    prepared = {
        "logins": {"staff": sales_rep.username},
        "password": password,
        "creds": {"staff-api": {"Authorization": "Token k"}},
    }
    clients = bench._django_clients(prepared)
    client, headers = clients("staff")
    assert headers == {}
    assert client.get("/sales/quotes/", headers={"X-Forwarded-Proto": "https"}).status_code == 200
    assert clients("staff")[0] is client  # one login per user
    api_client, api_headers = clients("staff-api")
    assert api_client is not client  # no session: the token header
    assert api_headers == {"Authorization": "Token k"}


def test_memory_run_section_shows_the_curve_and_judges_growth_only(tmp_path):
    curve = [
        {"requests": n, "rss_mb": rss, "caches": {"rows": 300, "memo": 28}}
        for n, rss in ((0, 196.0), (1000, 199.0), (2000, 200.5))
    ]
    memory = {
        "requests": 2000,
        "endpoints": 51,
        "rss_after_warmup_mb": 196.0,
        "rss_after_mb": 200.5,
        "growth_percent": 2.3,
        "curve": curve,
        "traced_requests": 200,
        "traced_growth_kb": 120.0,
        "top": [{"where": "apps/core/rows.py:100", "kb": 64.0, "count": 10}],
    }
    (tmp_path / "memory.json").write_text(json.dumps(memory))
    text = "\n".join(bench._memory_markdown(tmp_path))
    # Over 150 MB in all (this process also ran migrate), but only its growth is judged.
    assert "200.5 MB after 2,000 more (+2.3%): ok." in text
    assert "RSS every tenth: 196.0, 199.0, 200.5 MB" in text
    assert "cache entries at the end: {'rows': 300, 'memo': 28}" in text
    assert "- +64.0 KB (+10 blocks) `apps/core/rows.py:100`" in text
    memory["growth_percent"] = 10.5
    (tmp_path / "memory.json").write_text(json.dumps(memory))
    assert "**missed** (target: growth < 10%)" in "\n".join(bench._memory_markdown(tmp_path))


def test_cache_sizes_count_the_bounded_caches():
    from apps.core.rows import row_cache

    row_cache.clear()
    row_cache.set(("test", 1), "<tr>" + "x" * 4000 + "</tr>")
    sizes = bench._cache_sizes()
    assert set(sizes) == {"rows", "rows_kb", "memo", "nav", "dates"}
    assert (sizes["rows"], sizes["rows_kb"]) == (1, 3)
    row_cache.clear()


@pytest.mark.django_db(transaction=True)
def test_wsgi_caller_serves_like_a_worker_without_growing_signal_receivers(sales_rep, password):
    """--memory calls Django's WSGI handler (not the test Client, which connects a signal
    receiver per request): logged in through the form, CSRF checked on a POST."""
    from django.core.signals import request_finished, request_started

    call = bench._wsgi_caller(
        {"logins": {"staff": sales_rep.username}, "password": password, "creds": {"anon": {}}}
    )
    assert call("staff", "/sales/quotes/") == 200
    assert call("anon", "/sales/quotes/") == 302
    receivers = len(request_started.receivers), len(request_finished.receivers)
    for n in range(5):
        assert call("staff", "/sales/quotes/", n) == 200
    assert (len(request_started.receivers), len(request_finished.receivers)) == receivers
    # The CSRF middleware runs (no test Client exemption): the header makes the POST pass.
    assert call("staff", ("POST", "/accounts/logout/", [{}])) == 302
    assert call("staff", "/sales/quotes/") == 302


def test_memory_section_shows_each_round():
    rounds = [{"requests": 30_000, "rss": [106.2, 117.9]}, {"requests": 90_000, "rss": [140, 140]}]
    text = bench._server_memory_markdown(
        _result([100, 110], [105, 118], [140, 140], rounds=rounds)
    )[0]
    assert text.endswith(
        "After each round (requests in all: MB per worker): 30,000: 106, 118; 90,000: 140, 140"
    )


def _timed(name: str, p50: float) -> dict:
    return {"name": name, "p50": p50}


def test_page_one_at_two_sizes_is_compared_through_each_runs_bare_view():
    # M ran on a slower machine than S (its bare view 10 ms against 8): 30 ms against
    # 20 ms is 1.5x in milliseconds but 1.2x against each run's own yardstick.
    result = {
        "size": "M",
        "endpoints": [_timed("bare (logged in)", 10.0), _timed("staff quote list p1", 30.0)],
        "compare": {
            "size": "S",
            "rows": {"quotes": 5000, "orders": 10000},
            "endpoints": {
                "bare (logged in)": _timed("bare (logged in)", 8.0),
                "staff quote list p1": _timed("staff quote list p1", 20.0),
            },
        },
    }
    text = "\n".join(bench._page_targets_markdown(result))
    assert "| staff quote list p1: size M / size S | 30.0 | 20.0 | 1.20× | ok |" in text
    assert "(10.0 ms here, 8.0 ms there)" in text
    result["endpoints"][1]["p50"] = 40.0  # 1.6x against the yardsticks
    text = "\n".join(bench._page_targets_markdown(result))
    assert "| staff quote list p1: size M / size S | 40.0 | 20.0 | 1.60× | **missed** |" in text


def test_a_deep_page_is_compared_with_page_one_of_the_same_run():
    result = {
        "size": "M",
        "endpoints": [
            _timed("bare (logged in)", 10.0),
            _timed("staff quote list p1", 20.0),
            _timed("staff quote list deep", 27.0),
        ],
    }
    text = "\n".join(bench._page_targets_markdown(result))
    row = "| staff quote list deep / staff quote list p1 | 27.0 | 20.0 | 1.35× | **missed** |"
    assert row in text
