"""`make bench`: Tandem under load at a manufacturer's size.

A fresh database (`<DATABASE_URL>_bench`) is migrated and loaded with
`seed_bulk --size`, the app is served by gunicorn (2 sync workers, DEBUG off)
on loopback, its users log in through the login form, it is warmed, and then
wrk (scripts/bench.lua; one connection per worker, below saturation) drives
each endpoint in short batches interleaved with the two baselines, the bare
view anonymous and logged in (/bench/bare/, on only with TANDEM_BENCH), so
every ratio compares numbers of the same minutes. For each endpoint: queries
per request (X-Queries), p50 / p95 / p99, requests per second, the ratio to
the logged-in bare view, and the big tables read by a sequential scan (EXPLAIN
of every SELECT of one request); each worker's RSS after the warm-up and after
10,000 requests per worker. Writes bench/results.json and bench/results.md.
A response outside 2xx fails the run.

Run from `make bench` (it starts PostgreSQL and Redis first); BENCH_SIZE=S|M|L.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
LOGIN_PATH = "/accounts/login/"
BASELINES = ("bare (anonymous)", "bare (logged in)")
# Target: worker memory growing less than 10% over this many requests (per worker).
MEMORY_REQUESTS = 10_000
TARGETS = {  # kind → (throughput share of the logged-in bare view)
    "html-list": 1 / 5,
    "api-list": 1 / 3,
    "detail": 1 / 4,
}


# -- setup ---------------------------------------------------------------------

# (credential name, username) of seed_bulk's users beyond the sales rep and the customer:
# each internal role whose dashboard differs, and a supplier's contact.
ROLE_USERS = (
    ("sales manager", "bench.manager"),
    ("engineer", "bench.engineer"),
    ("planner", "bench.planner"),
    ("quality", "bench.quality"),
    ("buyer", "bench.buyer"),
    ("warehouse", "bench.warehouse"),
    ("finance", "bench.finance"),
    ("ops admin", "bench.ops"),
    ("supplier", "supplier.s00000"),
)


def _bench_database(url: str, *, reuse: bool = False) -> tuple[str, bool]:
    """The bench database's URL, and whether it is a fresh one (to be seeded)."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/") + "_bench"
    import psycopg

    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not (reuse and exists):
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}")), not (reuse and exists)


def _prepare(size: str, *, seed: bool = True, static: bool = True) -> dict:
    """Migrate, seed, and return the URLs and credentials of the benchmarked endpoints."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count

    from apps.accounts.models import User
    from apps.accounts.services import api_token_issue
    from apps.catalog.models import CapacityReservation, StockEntry
    from apps.core.lists import COUNT_CAP
    from apps.insights.bulk import PASSWORD
    from apps.orders.models import QUOTE_CUSTOMER_STATES, Quote, SalesOrder

    started = time.monotonic()
    call_command("migrate", "--noinput", verbosity=0)
    if static:
        call_command("collectstatic", "--noinput", verbosity=0)
    if seed:
        call_command("seed_bulk", size=size)
    else:
        # A reused database holds the writes of earlier runs (each run's promise quote
        # and its PATCHes): vacuum and analyze it as autovacuum would have by then, so
        # index-only scans find their pages all-visible again, as after a seed.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
    seed_seconds = time.monotonic() - started

    def token(username: str) -> str:
        return api_token_issue(user=User.objects.get(username=username), name="bench")[1]

    contact = User.objects.get(username="contact.c00000")
    big = contact.organization
    open_quotes = Quote.objects.exclude(state="converted")
    # The smallest documents (2 lines where the size has them) and the 200-line ones.
    q2 = open_quotes.filter(line_count__gte=2).order_by("line_count", "created_at").first()
    q200 = open_quotes.filter(line_count=200).order_by("created_at").first()
    o2 = SalesOrder.objects.filter(line_count__gte=2).order_by("line_count", "created_at").first()
    o200 = SalesOrder.objects.filter(line_count=200).order_by("created_at").first()
    portal_quote = (
        open_quotes.filter(customer=big, state__in=QUOTE_CUSTOMER_STATES)
        .order_by("-line_count")
        .first()
    )
    portal_order = SalesOrder.objects.filter(customer=big).order_by("-created_at").first()
    rep = User.objects.get(username="rep00.sales")
    promise_urls, promise_ms = _promise_quotes(rep)
    pages = max(1, Quote.objects.count() // 25)
    # Halfway down, but never past what the capped count lets a client reach
    # (the API answers 404 for a page beyond it; the HTML list shows its last page).
    deep = max(2, min(pages // 2, COUNT_CAP // 25))
    creds = {
        "anon": {},
        "staff-api": {"Authorization": f"Token {token('rep00.sales')}"},
        "contact-api": {"Authorization": f"Token {token('contact.c00000')}"},
    }
    # Who logs in through the login form (`_login` over HTTP, `_django_clients` in
    # process): the sales rep, the customer's contact, and the later capabilities'
    # users (seed_bulk's later phase), one per internal role, and a supplier's contact.
    logins = {"staff": "rep00.sales", "contact": "contact.c00000", **dict(ROLE_USERS)}

    # A part with many holds, the busiest work center: the ledger pages at their largest.
    def most_rows(qs, field: str):
        row = qs.values(field).annotate(n=Count("pk")).order_by("-n", field).first()
        return row[field]

    held_part = most_rows(StockEntry.objects.filter(booking__isnull=False), "part_id")
    busy_center = most_rows(CapacityReservation.objects.all(), "work_center_id")
    endpoints = [
        # (name, kind, who, path)
        ("bare (anonymous)", "baseline", "anon", "/bench/bare/"),
        ("bare (logged in)", "baseline", "staff", "/bench/bare/"),
        ("staff dashboard", "dashboard", "staff", "/"),
        ("portal dashboard", "dashboard", "contact", "/portal/"),
        # Every internal role whose dashboard differs (the last of ROLE_USERS is the supplier).
        *((f"{who} dashboard", "dashboard", who, "/") for who, _ in ROLE_USERS[:-1]),
        ("supplier portal dashboard", "dashboard", "supplier", "/supplier/"),
        ("staff quote list p1", "html-list", "staff", "/sales/quotes/"),
        ("staff quote list search", "html-list", "staff", "/sales/quotes/?state=sent&q=Q-0001"),
        ("staff quote list by total", "html-list", "staff", "/sales/quotes/?ordering=-total"),
        ("staff quote list deep", "html-list", "staff", f"/sales/quotes/?page={deep}"),
        ("staff order list p1", "html-list", "staff", "/sales/orders/"),
        # A short number fragment: a prefix of the number's digits (B-tree), any width.
        ("staff order list search 12", "html-list", "staff", "/sales/orders/?q=12"),
        (
            "staff order list customer",
            "html-list",
            "staff",
            f"/sales/orders/?customer={big.pk}&state=in_production",
        ),
        ("staff order list deep", "html-list", "staff", f"/sales/orders/?page={deep}"),
        (f"staff quote detail {q2.line_count} lines", "detail", "staff", f"/sales/quotes/{q2.pk}/"),
        ("staff quote detail 200 lines", "detail", "staff", f"/sales/quotes/{q200.pk}/"),
        (f"staff order detail {o2.line_count} lines", "detail", "staff", f"/sales/orders/{o2.pk}/"),
        ("staff order detail 200 lines", "detail", "staff", f"/sales/orders/{o200.pk}/"),
        ("staff customer directory", "html-list", "staff", "/sales/customers/"),
        ("staff inquiry queue", "html-list", "staff", "/sales/inquiries/?state=new"),
        ("staff opportunity list", "html-list", "staff", "/sales/opportunities/"),
        ("staff pipeline board", "html-list", "staff", "/sales/pipeline/"),
        ("staff forecast", "dashboard", "staff", "/sales/forecast/"),
        ("engineering review inbox", "html-list", "staff", "/engineering/reviews/"),
        ("manufacturing review inbox", "html-list", "staff", "/manufacturing/reviews/"),
        ("purchasing review inbox", "html-list", "staff", "/purchasing/reviews/"),
        ("pricing review inbox", "html-list", "staff", "/sales/reviews/"),
        ("at-risk lines (planner)", "html-list", "planner", "/sales/at-risk/"),
        ("at-risk lines (rep)", "html-list", "staff", "/sales/at-risk/"),
        ("expected receipts", "html-list", "buyer", "/purchasing/receipts/"),
        ("part list", "html-list", "buyer", "/purchasing/parts/"),
        ("part holds ledger", "html-list", "buyer", f"/purchasing/parts/{held_part}/"),
        ("work center list", "html-list", "planner", "/manufacturing/work-centers/"),
        (
            "work center detail",
            "html-list",
            "planner",
            f"/manufacturing/work-centers/{busy_center}/",
        ),
        ("re-plan runs", "html-list", "planner", "/manufacturing/replan/"),
        ("API inquiry list", "api-list", "staff-api", "/api/v1/inquiries/"),
        ("API opportunity list", "api-list", "staff-api", "/api/v1/opportunities/"),
        ("portal quote list", "html-list", "contact", "/portal/quotes/"),
        ("portal order list", "html-list", "contact", "/portal/orders/"),
        ("portal quote detail", "detail", "contact", f"/portal/quotes/{portal_quote.pk}/"),
        ("portal order detail", "detail", "contact", f"/portal/orders/{portal_order.pk}/"),
        ("API quote list", "api-list", "staff-api", "/api/v1/quotes/"),
        ("API quote list deep", "api-list", "staff-api", f"/api/v1/quotes/?page={deep}"),
        ("API order list", "api-list", "staff-api", "/api/v1/orders/"),
        ("API change-request list", "api-list", "staff-api", "/api/v1/change-requests/"),
        ("API quote list (contact)", "api-list", "contact-api", "/api/v1/quotes/"),
        ("API order list (contact)", "api-list", "contact-api", "/api/v1/orders/"),
        ("API quote detail 200 lines", "detail", "staff-api", f"/api/v1/quotes/{q200.pk}/"),
        ("API order detail 200 lines", "detail", "staff-api", f"/api/v1/orders/{o200.pk}/"),
        # The promise engine through a real route: changing a line's quantity on a
        # 20-line draft quote re-promises the lines the change can move (the line and
        # those sharing a part or work center with it: quote_repromise_changed). The
        # quantity alternates so every request changes something. The logged-in rep
        # (session cookie and CSRF header, as the page's scripts would send it). Each
        # wrk thread edits a quote of its own (two alike): below saturation, as every
        # other endpoint, none waits for the other's lock of the quote.
        (
            "promise engine: PATCH line of 20-line quote",
            "promise",
            "staff",
            ("PATCH", tuple(promise_urls), PROMISE_BODIES),
        ),
        # Two edits of one quote at once (no target): the second waits for the first's
        # lock of the quote (quote_line_update locks it), so its latency adds a wait.
        (
            "PATCH, both connections on one quote",
            "promise-shared",
            "staff",
            ("PATCH", promise_urls[0], PROMISE_BODIES),
        ),
    ]
    counts = {
        "customers": big.__class__.objects.filter(kind="customer").count(),
        "quotes": open_quotes.count(),
        "orders": SalesOrder.objects.count(),
    }
    connection.close()
    return {
        "creds": creds,
        "logins": logins,
        "password": PASSWORD,
        "endpoints": endpoints,
        "seed_seconds": seed_seconds,
        "rows": counts,
        "promise_ms": promise_ms,
    }


PROMISE_BODIES = [{"quantity": 3}, {"quantity": 4}]


def _promise_quotes(rep, count: int = 2) -> tuple[list[str], float]:
    """The PATCH URLs of the first line of `count` draft quotes alike, each with the
    same 20 lines copied from seeded ones (one per wrk thread); the engine timed
    in-process on the first."""
    urls, timed = [], []
    for _ in range(count):
        quote, line, ms = _promise_quote(rep)
        urls.append(f"/api/v1/quotes/{quote}/lines/{line}/")
        timed.append(ms)
    return urls, timed[0]


def _promise_quote(rep) -> tuple[str, str, float]:
    """A draft quote with 20 lines copied from seeded ones; the engine timed in-process."""
    from django.core.exceptions import ValidationError

    from apps.orders.models import QuoteLine
    from apps.orders.services import quotes as quote_services

    first = QuoteLine.objects.select_related("quote__customer").order_by("quote__created_at")
    quote = quote_services.quote_create(actor=rep, customer=first.first().quote.customer)
    seen = set()
    for source in first.select_related("product")[:2000]:
        if source.product_id in seen:
            continue
        try:
            quote_services.quote_line_add(
                quote=quote,
                actor=rep,
                product=source.product,
                quantity=source.quantity,
                configuration=source.configuration,
            )
        except ValidationError:
            continue
        seen.add(source.product_id)
        if len(seen) == 20:
            break
    quote.refresh_from_db()
    assert quote.lines.count() == 20, "could not build a 20-line quote from the seed"
    timings = []
    for _ in range(10):
        started = time.perf_counter()
        quote_services.quote_recalculate(quote=quote)
        timings.append((time.perf_counter() - started) * 1000)
    line = quote.lines.order_by("position").first()
    return str(quote.pk), str(line.pk), statistics.median(timings)


# -- load ----------------------------------------------------------------------

WRK_SCRIPT = ROOT / "scripts" / "bench.lua"
HOST = "127.0.0.1"
ORIGIN = f"https://{HOST}"  # what a browser sends with an unsafe request (CSRF checks it)
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


def _request(path, headers: dict) -> tuple[str, str, dict, list[str]]:
    """(method, path, headers, bodies) of an endpoint: a GET of `path`, or for
    ("PATCH", path, bodies) that method with the bodies as JSON. A session's CSRF
    token (`X-CSRFToken` of the credentials) is sent with unsafe methods only, with
    the Origin a browser adds, as the page's scripts would."""
    csrf = headers.get("X-CSRFToken")
    headers = {
        "X-Forwarded-Proto": "https",
        "Host": HOST,
        **{k: v for k, v in headers.items() if k != "X-CSRFToken"},
    }
    if isinstance(path, str):
        return "GET", path, headers, []
    method, url, bodies = path
    if not isinstance(url, str):  # one per wrk thread (bench.lua), space-separated
        url = " ".join(url)
    headers["Content-Type"] = "application/json"
    if method in UNSAFE and csrf:
        headers.update({"X-CSRFToken": csrf, "Origin": ORIGIN})
    return method, url, headers, [json.dumps(body) for body in bodies]


def _wrk_command(
    port: int, path, headers: dict, seconds: int, connections: int, threads: int
) -> list[str]:
    """wrk's command line for one batch: `connections` keep-alive connections over
    `threads` threads for `seconds` (wrk counts whole seconds), bench.lua's
    arguments after `--`: method, path, "H<Name>: <value>" per header, "B<body>"."""
    method, url, hdrs, bodies = _request(path, headers)
    return [
        "wrk",
        f"--threads={min(threads, connections)}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        "--timeout=30s",  # wrk's default (2 s) would drop a slow page's latency
        f"--script={WRK_SCRIPT}",
        f"http://{HOST}:{port}",
        "--",
        method,
        url,
        *(f"H{name}: {value}" for name, value in hdrs.items()),
        *(f"B{body}" for body in bodies),
    ]


def _parse_wrk(stdout: str) -> dict:
    """bench.lua's done() line: requests, seconds, errors (responses outside 2xx,
    connect/read/write errors and timeouts), the first bad status, p50/p95/p99 ms."""
    lines = [line for line in stdout.splitlines() if line.startswith("BENCH-RESULT ")]
    if len(lines) != 1:
        raise RuntimeError(f"wrk printed no result line (bench.lua):\n{stdout}")
    raw = json.loads(lines[0].removeprefix("BENCH-RESULT "))
    errors = raw["non2xx"] + sum(
        raw[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts")
    )
    return {
        "requests": raw["requests"],
        "wall": raw["duration_us"] / 1e6,
        "errors": errors,
        "status": raw["first_bad_status"],
        **{f"p{p}": raw[f"p{p}_us"] / 1000 for p in (50, 95, 99)},
    }


def _batch(port: int, headers: dict, path, seconds: int, connections: int, threads: int) -> dict:
    command = _wrk_command(port, path, headers, seconds, connections, threads)
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return _parse_wrk(done.stdout)


def _wrk_missing() -> str:
    """Why the load cannot run ("" when wrk is there)."""
    if shutil.which("wrk"):
        return ""
    return (
        "bench: wrk (the load tool) is not installed. `make bench` installs it "
        "(scripts/test-services.sh bench-tools: apt-get install wrk, as root); "
        "or install Debian's package `wrk` yourself."
    )


class Client:
    """One keep-alive connection for what is not load: readiness, the login form,
    the warm-up and the EXPLAIN request."""

    def __init__(self, port: int, headers: dict) -> None:
        self.conn = http.client.HTTPConnection(HOST, port, timeout=60)
        self.headers = headers

    def request(self, path, extra: dict | None = None, n: int = 0, form: dict | None = None):
        """(status, headers message) of `path` as `_request` builds it (the n-th body,
        cycling), or of a POST of the url-encoded `form`."""
        method, url, headers, bodies = _request(path, {**self.headers, **(extra or {})})
        body = bodies[n % len(bodies)] if bodies else None
        if form is not None:
            method, body = "POST", urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        url = url.split(" ")[0]  # the first of one path per wrk thread
        try:
            self.conn.request(method, url, body=body, headers=headers)
            response = self.conn.getresponse()
            response.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            return 599, http.client.HTTPMessage()
        return response.status, response.msg

    def get(self, path, extra: dict | None = None, n: int = 0) -> tuple[int, dict]:
        status, msg = self.request(path, extra, n)
        return status, dict(msg.items())


def _cookies(msg) -> dict[str, str]:
    jar = SimpleCookie()
    for header in msg.get_all("Set-Cookie") or []:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def _login(port: int, username: str, password: str) -> dict:
    """Log in through Django's login form over HTTP, as a browser does: the form's
    CSRF token, the POST, and the session and (rotated) CSRF cookies it answers.
    Headers for that user: the cookies, and the CSRF token for unsafe requests."""
    client = Client(port, {})
    status, msg = client.request(LOGIN_PATH)
    csrf = _cookies(msg).get("csrftoken")
    assert status == 200 and csrf, f"login form answered {status} without a CSRF cookie"
    status, msg = client.request(
        LOGIN_PATH,
        {"Cookie": f"csrftoken={csrf}", "Origin": ORIGIN, "Referer": ORIGIN + LOGIN_PATH},
        form={"username": username, "password": password, "csrfmiddlewaretoken": csrf},
    )
    cookies = _cookies(msg)
    if status != 302 or "sessionid" not in cookies:
        raise RuntimeError(f"logging in {username} through {LOGIN_PATH} answered {status}")
    csrf = cookies.get("csrftoken", csrf)
    return {"Cookie": f"sessionid={cookies['sessionid']}; csrftoken={csrf}", "X-CSRFToken": csrf}


def _sample() -> dict:
    return {"requests": 0, "errors": 0, "status": 0, "wall": 0.0, "p50": [], "p95": [], "p99": []}


def _add(sample: dict, batch: dict) -> None:
    """One batch of wrk into an endpoint's sample: counts add up, percentiles are kept
    per batch (wrk gives percentiles, not the latencies)."""
    for key in ("requests", "errors", "wall"):
        sample[key] += batch[key]
    sample["status"] = sample["status"] or batch["status"]
    for p in ("p50", "p95", "p99"):
        if batch["requests"]:
            sample[p].append(batch[p])


def _rps(sample: dict) -> float:
    return sample["requests"] / sample["wall"] if sample["wall"] else 0.0


def _wrk_version() -> str:
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)  # noqa: S607
    first = (done.stdout or done.stderr).splitlines()
    return first[0].split(" Copyright")[0] if first else "wrk"


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(p) for p in children.read_text().split()] if children.exists() else []


# -- in process (--profile) ------------------------------------------------------


def _django_clients(prepared: dict):
    """`who` → (Django test Client, headers): a user of `logins` logged in through the
    login form (in process, once per user), or the credentials' headers (API token)."""
    from django.test import Client as DjangoClient

    made: dict[str, tuple] = {}

    def client(who: str) -> tuple:
        if who not in made:
            django_client = DjangoClient(headers={"X-Forwarded-Proto": "https"})
            username = prepared["logins"].get(who)
            if username:
                response = django_client.post(
                    LOGIN_PATH, {"username": username, "password": prepared["password"]}
                )
                assert response.status_code == 302, (username, response.status_code)
            made[who] = (django_client, dict(prepared["creds"].get(who, {})))
        return made[who]

    return client


def _call(client, headers: dict, path, n: int = 0):
    """GET `path` with the test client, or for ("PATCH", path, bodies) the n-th body."""
    if isinstance(path, str):
        return client.get(path, headers=headers)
    method, url, bodies = path
    return client.generic(
        method, url, json.dumps(bodies[n % len(bodies)]), "application/json", headers=headers
    )


def _wsgi_caller(prepared: dict):
    """`call(who, path, n) -> status` through Django's WSGI handler itself, as a gunicorn
    worker calls it (request_started/finished, middleware, CSRF checks), for users
    logged in through the login form. Not the test Client: it connects signal receivers
    on every request (`request_finished.connect(close_old_connections)` makes a
    `weakref.finalize` each time, never collected), a growth of its own."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import RequestFactory

    handler, factory = WSGIHandler(), RequestFactory()
    clients = _django_clients(prepared)
    creds: dict[str, dict] = {}

    def headers_of(who: str) -> dict:
        if who not in creds:
            client, headers = clients(who)
            cookies = {name: morsel.value for name, morsel in client.cookies.items()}
            if "sessionid" in cookies:
                headers = {
                    **headers,
                    "Cookie": "; ".join(f"{k}={v}" for k, v in sorted(cookies.items())),
                    "X-CSRFToken": cookies.get("csrftoken", ""),
                }
            creds[who] = headers
        return creds[who]

    def call(who: str, path, n: int = 0) -> int:
        method, url, headers, bodies = _request(path, headers_of(who))
        body = bodies[n % len(bodies)] if bodies else ""
        request = factory.generic(method, url, body, "application/json", headers=headers)
        status: list[str] = []
        response = handler(request.environ, lambda line, _headers, _exc=None: status.append(line))
        try:
            for _chunk in response:
                pass
        finally:
            response.close()  # request_finished, as the WSGI server does
        return int(status[0].split()[0])

    return call


def _cache_sizes() -> dict[str, int]:
    """Entries in the process's bounded caches (rows and their HTML's size, memo fragments,
    nav bars, dates)."""
    from apps.core.navigation import _entries
    from apps.core.rows import row_cache
    from apps.core.templatetags import fast_dates, memo

    with row_cache._lock:
        rows_bytes = sum(sys.getsizeof(html) for html in row_cache._rows.values())
    return {
        "rows": len(row_cache),
        "rows_kb": rows_bytes // 1024,  # the rows' HTML (the bound: 4,096 rows)
        "memo": len(memo._fragments),
        "nav": _entries.cache_info().currsize,
        "dates": fast_dates._formatted_day.cache_info().currsize,
    }


def _profile(prepared: dict, repeat: int, only: str, top: int, dump: str = "") -> None:
    """Each endpoint `repeat` times through Django's handler in this process: median ms and
    queries, no HTTP and no load client, so a change's effect shows without the noise of a
    shared machine. With `only` (a substring of endpoint names) also a cProfile of those."""
    import cProfile
    import pstats

    from django.db import connection

    clients = _django_clients(prepared)
    for name, _kind, who, path in prepared["endpoints"]:
        if only and only not in name:
            continue
        client, headers = clients(who)

        def call(n: int, client=client, headers=headers, path=path):
            return _call(client, headers, path, n)

        for n in range(3):
            response = call(n)
            assert response.status_code == 200, (name, response.status_code)
        queries: list[str] = []
        with connection.execute_wrapper(
            lambda ex, sql, *a, q=queries: q.append(sql) or ex(sql, *a)
        ):
            call(0)
        # Python function calls of one request: a count that does not move with the load
        # of a shared machine (wall and CPU times do), so before/after compare exactly.
        counter = cProfile.Profile()
        counter.runcall(call, 0)
        calls = pstats.Stats(counter).total_calls
        # CPU time of this process (Python: middleware, ORM, templates, serializers) and
        # wall time (also the database's work and, on a busy machine, waiting for a core).
        cpu, wall = [], []
        profiler = cProfile.Profile() if only and top else None
        for n in range(repeat):
            started, started_cpu = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            call(n)
            if profiler:
                profiler.disable()
            cpu.append((time.process_time() - started_cpu) * 1000)
            wall.append((time.perf_counter() - started) * 1000)
        print(
            f"{name:<45} {len(queries):>3} q {calls:>8,} calls  "
            f"cpu {statistics.median(cpu):7.2f} ms  "
            f"wall {statistics.median(wall):7.2f} ms (min {min(wall):7.2f})",
            flush=True,
        )
        if profiler:
            if dump:
                profiler.dump_stats(dump)
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(top)
            stats.sort_stats("tottime").print_stats(top)


def _memory(prepared: dict, requests: int, top: int, out: Path) -> dict:
    """Memory of one process (what one worker runs) serving `requests` requests
    round-robin over the endpoints, the promise PATCH included, after a warm-up of the
    same length (per-process caches fill there): RSS after the warm-up, every tenth of
    the measured requests (the curve: a leak climbs on, a cache filling up flattens)
    and at the end (tracemalloc off: it costs memory of its own), with the bounded
    caches' entries; then tracemalloc's biggest growths by line over a tenth as many,
    so a leak shows where it is. Written to `out`/memory.json; results.md reports it."""
    import gc
    import tracemalloc

    call = _wsgi_caller(prepared)
    clients = prepared["endpoints"]
    served = 0

    def serve(n: int) -> None:
        nonlocal served
        for _ in range(n):
            name, _kind, who, path = clients[served % len(clients)]
            status = call(who, path, served)
            assert status == 200, f"{name}: {path} answered {status}"
            served += 1

    started = time.monotonic()
    serve(requests)  # warm-up
    gc.collect()
    rss_warm = _rss_mb(os.getpid())
    curve = [(0, rss_warm, _cache_sizes())]
    step = max(1, requests // 10)
    while served < 2 * requests:
        serve(min(step, 2 * requests - served))
        gc.collect()
        curve.append((served - requests, _rss_mb(os.getpid()), _cache_sizes()))
    rss_after = curve[-1][1]
    traced = max(1, requests // 10)
    tracemalloc.start(3)
    before = tracemalloc.take_snapshot()
    serve(traced)
    gc.collect()
    after = tracemalloc.take_snapshot()
    stats = after.compare_to(before, "lineno")
    growth = sum(stat.size_diff for stat in stats)
    tracemalloc.stop()
    result = {
        "requests": requests,
        "endpoints": len(clients),
        "seconds": time.monotonic() - started,
        "rss_after_warmup_mb": rss_warm,
        "rss_after_mb": rss_after,
        "growth_percent": (rss_after / rss_warm - 1) * 100,
        "curve": [{"requests": n, "rss_mb": rss, "caches": caches} for n, rss, caches in curve],
        "traced_requests": traced,
        "traced_growth_kb": growth / 1024,
        "top": [
            {
                "where": str(stat.traceback[0]).replace(f"{ROOT}/", ""),
                "kb": stat.size_diff / 1024,
                "count": stat.count_diff,
            }
            for stat in stats[:top]
        ],
    }
    print(
        f"memory: RSS {rss_warm:.1f} MB after {requests} warm-up requests, {rss_after:.1f} MB "
        f"after {requests} more ({result['growth_percent']:+.1f}%); Python heap over "
        f"{traced} more: {growth / 1024:+.0f} KB",
        flush=True,
    )
    for row in result["top"]:
        print(f"  {row['kb']:+8.1f} KB {row['count']:+6d} blocks  {row['where']}")
    out.mkdir(exist_ok=True)
    (out / "memory.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def _growths(before: list[float], after: list[float]) -> list[float]:
    """Each worker's RSS growth in percent."""
    return [(a / b - 1) * 100 for b, a in zip(before, after, strict=False) if b]


def _mb(values: list[float]) -> str:
    return ", ".join(f"{m:.0f} MB" for m in values)


def _pcts(values: list[float]) -> str:
    return ", ".join(f"{g:+.1f}%" for g in values)


def _server_memory_markdown(result: dict) -> list[str]:
    """Each worker's RSS after the warm-up, after MEMORY_REQUESTS requests per worker
    (the target: < 150 MB, growing < 10% over them), and at the end of the run."""
    mem = result["memory"]
    before, at, after = mem["before"], mem.get("at") or [], mem["after"]
    workers = len(before)
    end = (
        f"At the end, after {result['requests']:,} requests: {_mb(after)} "
        f"({_pcts(_growths(before, after))} since the warm-up)."
    )
    if mem.get("rounds"):
        end += " After each round (requests in all: MB per worker): " + "; ".join(
            f"{r['requests']:,}: {', '.join(f'{m:.0f}' for m in r['rss'])}" for r in mem["rounds"]
        )
    if not at:
        return [
            f"Gunicorn's {workers} workers after the warm-up: {_mb(before)}. The run served "
            f"fewer than {MEMORY_REQUESTS:,} requests per worker: no verdict on the target. " + end,
            "",
        ]
    growth = _growths(before, at)
    ok = max(at) < 150 and max(growth, default=0) < 10
    return [
        f"Gunicorn's {workers} workers after the warm-up: {_mb(before)}; after "
        f"{mem['at_requests']:,} requests (about {mem['at_requests'] // workers:,} per worker, "
        f"the first batch past {MEMORY_REQUESTS:,} each): {_mb(at)} ({_pcts(growth)}). "
        f"Target: under 150 MB, growing less than 10% over {MEMORY_REQUESTS:,} requests: "
        + ("ok. " if ok else "**missed**. ")
        + end,
        "",
    ]


def _memory_markdown(out: Path) -> list[str]:
    """The --memory run's section of results.md (bench/memory.json), if there was one."""
    path = out / "memory.json"
    if not path.exists():
        return ["No `--memory` run: `scripts/bench.py --reuse --memory 10000`.", ""]
    m = json.loads(path.read_text())
    # Growth only: this process also ran migrate and built the promise quote, so its
    # RSS is not a worker's (the server run above gives the workers' own).
    verdict = "ok" if m["growth_percent"] < 10 else "**missed** (target: growth < 10%)"
    curve = m.get("curve") or []
    lines = [
        f"One process (`--memory {m['requests']}`, in process, {m['endpoints']} endpoints "
        f"round-robin): RSS {m['rss_after_warmup_mb']:.1f} MB after {m['requests']:,} warm-up "
        f"requests, {m['rss_after_mb']:.1f} MB after {m['requests']:,} more "
        f"({m['growth_percent']:+.1f}%): {verdict}."
        + (
            " RSS every tenth: "
            + ", ".join(f"{p['rss_mb']:.1f}" for p in curve)
            + f" MB; cache entries at the end: {curve[-1]['caches']}."
            if curve
            else ""
        )
        + f" Python heap growth over {m['traced_requests']:,} further requests under "
        f"tracemalloc: {m['traced_growth_kb']:+.0f} KB; largest by line:",
        "",
    ]
    lines += [
        f"- {row['kb']:+.1f} KB ({row['count']:+d} blocks) `{row['where']}`" for row in m["top"][:8]
    ]
    return [*lines, ""]


# -- report --------------------------------------------------------------------


def _bar(ratio: float, width: int = 30) -> str:
    return "█" * max(1, round(min(ratio, 1.0) * width)) if ratio > 0 else ""


# Deep pages and their page 1, for "a deep page within 1.3× of page 1".
DEEP_PAIRS = (
    ("staff quote list deep", "staff quote list p1"),
    ("staff order list deep", "staff order list p1"),
    ("API quote list deep", "API quote list"),
)
PAGE_ONE = (
    "staff quote list p1",
    "staff order list p1",
    "portal quote list",
    "portal order list",
    "API quote list",
    "API order list",
    "API quote list (contact)",
    "API order list (contact)",
)
SIZE_FACTOR = 1.3


def _page_targets_markdown(result: dict) -> list[str]:
    """Deep page against page 1 (this run), and page 1 here against another size's run."""
    by_name = {r["name"]: r for r in result["endpoints"]}
    lines = [
        "## Deep pages and data size (p50, target ≤ 1.3×)",
        "",
        "| comparison | p50 ms | against p50 ms | factor | target |",
        "|---|---:|---:|---:|---|",
    ]
    for deep, first in DEEP_PAIRS:
        if deep in by_name and first in by_name:
            a, b = by_name[deep]["p50"], by_name[first]["p50"]
            lines.append(
                f"| {deep} / {first} | {a:.1f} | {b:.1f} | {a / b:.2f}× | "
                f"{'ok' if a / b <= SIZE_FACTOR else '**missed**'} |"
            )
    compare = result.get("compare")
    if compare:
        # Two runs: each page's p50 over its own run's logged-in bare view (the
        # yardstick every ratio uses), so a machine that is slower in one run than in
        # the other does not pass for a page slower at the larger size.
        bare_here = by_name.get(BASELINES[1], {}).get("p50")
        bare_there = compare["endpoints"].get(BASELINES[1], {}).get("p50")
        for name in PAGE_ONE:
            there = compare["endpoints"].get(name)
            if name in by_name and there:
                a, b = by_name[name]["p50"], there["p50"]
                factor = (a / bare_here) / (b / bare_there) if bare_here and bare_there else a / b
                lines.append(
                    f"| {name}: size {result['size']} / size {compare['size']} | {a:.1f} | "
                    f"{b:.1f} | {factor:.2f}× | "
                    f"{'ok' if factor <= SIZE_FACTOR else '**missed**'} |"
                )
        lines += [
            "",
            f"Size {compare['size']} ({compare['rows']['quotes']:,} quotes, "
            f"{compare['rows']['orders']:,} orders) was measured in a separate run "
            "(`--compare`), on the same machine just before or after this one. Between two "
            "runs the factor compares each p50 to the logged-in bare view's of its own run"
            + (
                f" ({bare_here:.1f} ms here, {bare_there:.1f} ms there)"
                if bare_here and bare_there
                else ""
            )
            + "; within one run (deep pages) it is the p50s' own.",
        ]
    else:
        lines += ["", "No run of another size to compare with (`--compare results.json`)."]
    lines.append("")
    return lines


def _chart_svg(result: dict) -> str:
    """A horizontal bar per endpoint: its ratio, with its kind's target as a tick."""
    rows = [r for r in result["endpoints"] if r["kind"] != "baseline"]
    bar_h, gap, label_w, plot_w = 16, 6, 290, 420
    top = 30
    height = top + len(rows) * (bar_h + gap) + 30
    scale = plot_w / 0.6  # ratios up to 0.6 fill the plot; longer bars are clipped
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + plot_w + 70}" '
        f'height="{height}" font-family="sans-serif" font-size="12">',
        f'<text x="{label_w}" y="18" font-weight="bold">Throughput / logged-in bare view '
        f"(size {result['size']}); tick = target</text>",
    ]
    for i, r in enumerate(rows):
        y = top + i * (bar_h + gap)
        target = TARGETS.get(r["kind"])
        ok = target is None or r["ratio"] >= target
        if r["kind"] == "promise":
            ok = r["p50"] < 100
        colour = ("#2e7d32" if ok else "#c62828") if target or r["kind"] == "promise" else "#78909c"
        width = max(1.0, min(r["ratio"], 0.6) * scale)
        name = r["name"].replace("&", "&amp;").replace("<", "&lt;")
        out.append(
            f'<text x="{label_w - 6}" y="{y + bar_h - 4}" text-anchor="end">{name}</text>'
            f'<rect x="{label_w}" y="{y}" width="{width:.1f}" height="{bar_h}" fill="{colour}"/>'
            f'<text x="{label_w + width + 4:.1f}" y="{y + bar_h - 4}">{r["ratio"]:.2f}</text>'
        )
        if target is not None:
            x = label_w + target * scale
            out.append(
                f'<line x1="{x:.1f}" y1="{y - 2}" x2="{x:.1f}" y2="{y + bar_h + 2}" '
                'stroke="#000" stroke-width="2"/>'
            )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _markdown(result: dict, out: Path = ROOT / "bench") -> str:
    lines = [
        "# Tandem benchmark",
        "",
        f"Size **{result['size']}** ({result['rows']['customers']:,} customers, "
        f"{result['rows']['quotes']:,} quotes, {result['rows']['orders']:,} orders; "
        f"seeded in {result['seed_seconds']:.0f} s), gunicorn {result['workers']} sync workers, "
        f"DEBUG off. Load: {result.get('load_tool', 'wrk')} (`scripts/bench.lua`) over "
        f"loopback, {result.get('connections', result['threads'])} connections on "
        f"{result['threads']} threads: one connection per sync worker, so each worker has "
        "one request at a time and none queue (below saturation). Users log in through the "
        "login form first (session cookie; CSRF header on the PATCH); API endpoints send a "
        f"token. Batches of {result['seconds']} s × {result['rounds']} rounds interleaved "
        "with the bare view, anonymous and logged in. "
        f"Machine: {result['machine']}. {result['requests']:,} requests in all.",
        "",
        "Ratio = requests per second of the endpoint / of the logged-in bare view, measured "
        "in the same rounds (median over the rounds). Targets: HTML lists ≥ 0.20, API lists "
        "≥ 0.33, details ≥ 0.25. p50/p95/p99: wrk's `latency:percentile()` of each batch, "
        "the median over the rounds. Any response outside 2xx fails the endpoint.",
        "",
        "| endpoint | queries | p50 ms | p95 ms | p99 ms | req/s | ratio | target | seq scans |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for row in result["endpoints"]:
        target = TARGETS.get(row["kind"])
        verdict = "" if target is None else ("ok" if row["ratio"] >= target else "**missed**")
        if row["kind"] == "promise":  # a latency target: p50 under 100 ms
            verdict = "ok (p50 < 100 ms)" if row["p50"] < 100 else "**missed** (p50 ≥ 100 ms)"
        if row.get("errors"):
            verdict = (
                f"**FAILED**: {row['errors']:,} responses outside 2xx or errors "
                f"(first status {row.get('error_status') or '—'})"
            )
        lines.append(
            f"| {row['name']} | {row['queries']} | {row['p50']:.1f} | {row['p95']:.1f} | "
            f"{row['p99']:.1f} | {row['rps']:.1f} | {row['ratio']:.2f} | {verdict} | "
            f"{row['seq_scans'] or '—'} |"
        )
    lines += ["", *_page_targets_markdown(result)]
    lines += [
        "## Throughput relative to the logged-in bare view",
        "",
        "![Ratio to the logged-in bare view per endpoint, with the targets](results.svg)",
        "",
        "```",
    ]
    for row in result["endpoints"]:
        lines.append(f"{row['name'][:30]:<30} {row['ratio']:5.2f} {_bar(row['ratio'])}")
    lines += [
        "```",
        "",
        "## Worker memory (RSS)",
        "",
        *_server_memory_markdown(result),
        *_memory_markdown(out),
        "## Promise engine, 20-line quote (target < 100 ms)",
        "",
        "In process (`quote_recalculate`, median of 10): "
        f"{result['promise_in_process_ms']:.1f} ms. "
        "Through the API (`PATCH /api/v1/quotes/<id>/lines/<line>/` changing a quantity, which "
        "re-promises the lines the change can move and answers the quote): "
        + (
            ", ".join(
                f"p50 {r['p50']:.1f} ms, p95 {r['p95']:.1f} ms, {r['queries']} queries"
                for r in result["endpoints"]
                if r["kind"] == "promise"
            )
            or "not measured in this run (--endpoints)"
        )
        + (
            "".join(
                f" (each wrk connection edits a quote of its own; both on one quote: p50 "
                f"{r['p50']:.1f} ms, the second waiting for the first's lock of the quote)"
                for r in result["endpoints"]
                if r["kind"] == "promise-shared"
            )
        )
        + ". Adding, editing or removing a line re-promises only the lines the change can "
        "move (sharing a part or work center with it) and writes only the holds that moved "
        "(tests/orders/test_promise_incremental.py).",
        "",
    ]
    return "\n".join(lines)


# -- main ----------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default=os.environ.get("BENCH_SIZE", "S"))
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--seconds", type=float, default=2, help="length of one batch (wrk: whole seconds, >= 1)"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--connections",
        type=int,
        default=2,
        help="wrk's connections: one per worker keeps the server below saturation",
    )
    parser.add_argument("--threads", type=int, default=2, help="wrk's threads")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default=str(ROOT / "bench"))
    parser.add_argument(
        "--reuse", action="store_true", help="keep the bench database if it exists (no reseed)"
    )
    parser.add_argument(
        "--profile",
        type=int,
        metavar="N",
        help="no server: time each endpoint N times in process and stop",
    )
    parser.add_argument(
        "--skip-static",
        action="store_true",
        help="keep the collected static files (collectstatic compresses them all again, "
        "minutes of CPU on a busy machine)",
    )
    parser.add_argument("--only", default="", help="with --profile: cProfile these endpoints")
    parser.add_argument(
        "--endpoints",
        default="",
        help="server run: only the endpoints whose name matches this regex (baselines always)",
    )
    parser.add_argument(
        "--compare",
        default="",
        help="another run's results.json (another size): page 1 here against page 1 there",
    )
    parser.add_argument("--top", type=int, default=35, help="with --only: functions listed")
    parser.add_argument("--pstats", default="", help="with --only: write the profile there")
    parser.add_argument(
        "--memory",
        type=int,
        metavar="N",
        help="no server: N warm-up requests, then N more under tracemalloc, and stop",
    )
    args = parser.parse_args()

    if not os.environ.get("DATABASE_URL"):
        print("bench: DATABASE_URL is not set; run `make bench`.", file=sys.stderr)
        return 2
    if not (args.profile or args.memory) and _wrk_missing():
        print(_wrk_missing(), file=sys.stderr)
        return 2
    seconds = max(1, math.ceil(args.seconds))
    os.environ["DATABASE_URL"], fresh = _bench_database(
        os.environ["DATABASE_URL"], reuse=args.reuse
    )
    cache = os.environ.get("CACHE_URL", "")
    if cache.startswith("rediscache://"):
        # A Redis database of its own (the test helpers use 1-11).
        os.environ["CACHE_URL"] = cache.rsplit("/", 1)[0] + "/12"
    os.environ.update(TANDEM_BENCH="true", DEBUG="false", SECURE_SSL_REDIRECT="false")
    os.environ.pop("TANDEM_ZEAL", None)
    prepared = _prepare(args.size, seed=fresh, static=not args.skip_static)
    if args.profile:
        _profile(prepared, args.profile, args.only, args.top, args.pstats)
        return 0
    if args.memory:
        _memory(prepared, args.memory, min(args.top, 20), Path(args.out))
        return 0
    creds = dict(prepared["creds"])
    if args.endpoints:
        wanted = re.compile(args.endpoints)
        prepared["endpoints"] = [
            e for e in prepared["endpoints"] if e[0] in BASELINES or wanted.search(e[0])
        ]

    server = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi:application",
            "--workers",
            str(args.workers),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
    )
    try:
        for _ in range(100):
            time.sleep(0.3)
            if Client(args.port, {}).get("/bench/bare/")[0] == 200:
                break
        else:
            raise RuntimeError("gunicorn did not answer")
        for who, username in prepared["logins"].items():
            creds[who] = _login(args.port, username, prepared["password"])
        endpoints = prepared["endpoints"]
        # Warm-up: every endpoint a few times, checked, then a second of wrk on every
        # worker (templates, per-process caches, the allocator's high-water mark), so
        # the RSS after it is a worker's settled size and the growth is what follows.
        for name, _kind, who, path in endpoints:
            client = Client(args.port, creds[who])
            for n in range(4):
                status = client.get(path, n=n)[0]
                if status != 200:
                    raise RuntimeError(f"{name}: {path} answered {status}")
            warm = _batch(args.port, creds[who], path, 1, args.connections, args.threads)
            if warm["errors"]:
                raise RuntimeError(f"{name}: {path} answered {warm['status']} in the warm-up")
        workers = _workers(server.pid)
        memory_before = [_rss_mb(pid) for pid in workers]
        # The target's growth is over 10,000 requests per worker after the warm-up:
        # each worker's RSS when the run has served that many (in all, over the workers).
        checkpoint = MEMORY_REQUESTS * len(workers)
        memory_at: list[float] = []
        memory_at_requests = 0
        memory_rounds: list[dict] = []

        samples: dict[str, dict] = {name: _sample() for name, *_ in endpoints}
        paired: dict[str, list[float]] = {name: [] for name, *_ in endpoints}
        total = 0
        for round_no in range(args.rounds):
            for name, _kind, who, path in endpoints:
                if name in BASELINES:
                    continue
                measured = {}
                for label, w, p in (
                    (BASELINES[0], "anon", "/bench/bare/"),
                    (BASELINES[1], "staff", "/bench/bare/"),
                    (name, who, path),
                ):
                    batch = _batch(args.port, creds[w], p, seconds, args.connections, args.threads)
                    _add(samples[label], batch)
                    measured[label] = batch["requests"] / batch["wall"]
                    total += batch["requests"]
                    if not memory_at and total >= checkpoint:
                        memory_at = [_rss_mb(pid) for pid in workers]
                        memory_at_requests = total
                paired[name].append(measured[name] / measured[BASELINES[1]])
            # Each worker's RSS after each round: a leak climbs on, a cache filling flattens.
            memory_rounds.append({"requests": total, "rss": [_rss_mb(pid) for pid in workers]})
            print(f"bench: round {round_no + 1}/{args.rounds} done", flush=True)

        rows = []
        for name, kind, who, path in endpoints:
            client = Client(args.port, creds[who])
            _status, headers = client.get(path, {"X-Bench-Explain": "1"})
            s = samples[name]
            rps = s["requests"] / s["wall"] if s["wall"] else 0.0
            bare = samples[BASELINES[1]]
            ratio = statistics.median(paired[name]) if paired[name] else rps / _rps(bare)
            rows.append(
                {
                    "name": name,
                    "kind": kind,
                    "path": path if isinstance(path, str) else f"{path[0]} {path[1]}",
                    "who": who,
                    "queries": int(headers.get("X-Queries", "-1")),
                    "seq_scans": ""
                    if headers.get("X-Seq-Scans", "-") == "-"
                    else headers["X-Seq-Scans"],
                    "requests": s["requests"],
                    "errors": s["errors"],
                    "error_status": s["status"],
                    # wrk's percentiles of each batch, the median over the rounds
                    **{f"p{p}": statistics.median(s[f"p{p}"]) for p in (50, 95, 99)},
                    "rps": rps,
                    "ratio": ratio,
                }
            )
        memory_after = [_rss_mb(pid) for pid in workers]
    finally:
        server.terminate()
        server.wait(timeout=30)

    result = {
        "size": args.size,
        "rows": prepared["rows"],
        "seed_seconds": prepared["seed_seconds"],
        "workers": args.workers,
        "threads": min(args.threads, args.connections),
        "connections": args.connections,
        "load_tool": _wrk_version(),
        "seconds": seconds,
        "rounds": args.rounds,
        "requests": total,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs (shared)",
        "memory": {
            "before": memory_before,
            "at": memory_at,
            "at_requests": memory_at_requests,
            "rounds": memory_rounds,
            "after": memory_after,
        },
        "promise_in_process_ms": prepared["promise_ms"],
        "endpoints": rows,
    }
    if args.compare:
        other = json.loads(Path(args.compare).read_text())
        result["compare"] = {
            "size": other["size"],
            "rows": other["rows"],
            "endpoints": {r["name"]: r for r in other["endpoints"]},
        }
    out = Path(args.out)
    out.mkdir(exist_ok=True)
    (out / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    (out / "results.svg").write_text(_chart_svg(result))
    (out / "results.md").write_text(_markdown(result))
    print(_markdown(result))
    failed = [r for r in rows if r["errors"]]
    for r in failed:
        print(
            f"bench: FAILED {r['name']}: {r['errors']} responses outside 2xx or errors "
            f"(first status {r['error_status'] or 'none: connection errors'})",
            file=sys.stderr,
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
