"""Runs one registry case for every audience and checks status and content."""

from __future__ import annotations

import copy
import functools
import io
import json
import re
import traceback
from pathlib import Path

from django.contrib.admindocs.views import simplify_regex
from django.core import mail
from django.core.cache import cache
from django.db import transaction
from django.test import TestCase
from django.urls import get_resolver, reverse
from django.urls.resolvers import URLPattern, URLResolver
from pypdf import PdfReader

from tests.access_matrix.registry import LOGIN, REDIRECT, Case
from tests.access_matrix.world import AUDIENCES, EXTERNAL

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LOGIN_PATHS = ("/accounts/login/", "/admin/login/")
NOT_ASKED = "·"
# Canaries found in staff answers: a canary nobody is ever shown proves nothing.
SEEN_BY_STAFF: set[str] = set()


def url_names() -> dict[str, str]:
    """Every URL pattern in the resolver, by namespaced name, or `<unnamed route>`."""
    found: dict[str, str] = {}

    def walk(patterns, namespace: str, prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                walk(p.url_patterns, ns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                name = f"{namespace}{p.name}" if p.name else f"<unnamed {prefix}{p.pattern}>"
                found.setdefault(name, simplify_regex(prefix + str(p.pattern)))

    walk(get_resolver().url_patterns, "", "/")
    return found


class _Rollback(Exception):
    pass


def cell(response) -> str:
    if response.status_code in (301, 302, 303):
        location = response.headers.get("Location", "")
        return LOGIN if location.startswith(LOGIN_PATHS) else REDIRECT
    return str(response.status_code)


@functools.cache
def _forbidden_pattern(world_id: int, audience: str, markers: tuple[str, ...]) -> re.Pattern:
    # A marker followed by a digit is another marker (Q-000001 in Q-0000012).
    return re.compile("|".join(re.escape(m) + r"(?!\d)" for m in markers))


def leaks(world, audience: str, text: str) -> list[str]:
    forbidden = tuple(world.forbidden_for(audience))
    pattern = _forbidden_pattern(id(world), audience, forbidden)
    return sorted(set(pattern.findall(text))) if pattern.search(text) else []


def mail_leaks(world, messages) -> list[str]:
    found = []
    for message in messages:
        for address in message.to:
            audience = world.contact_audience(address)
            if audience is None:
                continue
            parts = [message.subject, message.body]
            parts += [content for content, _type in getattr(message, "alternatives", [])]
            leaked = leaks(world, audience, "\n".join(parts))
            if leaked:
                found.append(f"e-mail “{message.subject}” to {address} shows {leaked}")
    return found


def _request(world, audience: str, case: Case, url: str, *, htmx: bool):
    client = world.clients[audience]
    # Logout and login replace the session cookie; the next request needs the old one.
    cookies = copy.deepcopy(client.cookies)
    data = case.data(world) if callable(case.data) else case.data
    kwargs: dict = {"headers": {"HX-Request": "true"}} if htmx else {}
    if url.startswith("/api/") and case.method != "get":
        kwargs |= {"data": json.dumps(data or {}), "content_type": "application/json"}
    elif data is not None:
        kwargs["data"] = data
    # Throttles count in the cache; every request of the matrix is a first try.
    cache.clear()
    response = None
    try:
        # A savepoint per request: whatever it changes is undone for the next one.
        with transaction.atomic():
            mail.outbox = []
            with TestCase.captureOnCommitCallbacks(execute=True):
                response = getattr(client, case.method)(url, **kwargs)
            response.sent_mail = list(mail.outbox)
            raise _Rollback
    except _Rollback:
        pass
    finally:
        client.cookies = cookies
    return response


def body_text(response) -> str:
    """What the response says: its text, or the text of the PDF it is."""
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Type", "").startswith("application/pdf"):
        reader = PdfReader(io.BytesIO(raw))
        # The raw bytes too: metadata and anything not laid out as text.
        return "\n".join(page.extract_text() for page in reader.pages) + raw.decode("latin-1")
    return raw.decode(errors="replace")


def _check(world, audience: str, case: Case, url: str, expected, *, htmx: bool):
    response = _request(world, audience, case, url, htmx=htmx)
    how = f"{case.method.upper()}{' (htmx)' if htmx else ''}"
    problems = []
    got = cell(response)
    allowed = {str(e) for e in expected} if isinstance(expected, tuple) else {str(expected)}
    if got not in allowed:
        problems.append(f"{audience}: {how} expected {expected}, got {got}")
        if response.status_code >= 500 and getattr(response, "exc_info", None):
            problems.append("".join(traceback.format_exception(*response.exc_info))[-3000:])
    body = body_text(response)
    if audience not in EXTERNAL and audience != "anon":
        SEEN_BY_STAFF.update(c for c in world.canaries if c in body)
    if audience in EXTERNAL:
        body = body.replace(url.split("?")[0], "<url>")
        leaked = leaks(world, audience, body)
        if case.shows_foreign:
            leaked = [m for m in leaked if m in world.canaries]
        if leaked:
            problems.append(f"{audience}: {how} response shows {leaked}")
    problems += [f"{audience}: {how} {p}" for p in mail_leaks(world, response.sent_mail)]
    if case.check is not None and not htmx:
        try:
            case.check(world, audience, response)
        except AssertionError as exc:
            problems.append(f"{audience}: {how} {exc}")
    return got, problems


def run_case(world, name: str, case: Case) -> tuple[dict[str, str], list[str]]:
    """One request per audience (two for htmx pages); the row of the table and the problems."""
    if case.path is not None:
        url = case.path(world)
    else:
        url = reverse(name, kwargs=case.kwargs(world)) + case.query
    expected = case.expected_for(world)
    row: dict[str, str] = {}
    problems: list[str] = []
    for audience in AUDIENCES:
        if audience not in case.audiences:
            row[audience] = NOT_ASKED
            continue
        got, found = _check(world, audience, case, url, expected[audience], htmx=case.htmx_only)
        if case.htmx and case.method == "get":
            found += _check(world, audience, case, url, expected[audience], htmx=True)[1]
        problems += found
        row[audience] = got if not found else f"{got} ✗ (want {expected[audience]})"
    return row, [f"{case.method.upper()} {url}", *problems] if problems else []


def write_table(filename: str, title: str, rows: dict[str, dict[str, str]]) -> str:
    header = ["route [case]", *AUDIENCES]
    lines = [
        f"# {title}",
        "",
        "Status per audience: `login` is a redirect to a login page, `redirect` one"
        f" elsewhere, `{NOT_ASKED}` not asked; ✗ marks a failure.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    lines += [
        f"| {label} | " + " | ".join(row[a] for a in AUDIENCES) + " |"
        for label, row in rows.items()
    ]
    table = "\n".join(lines) + "\n"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / filename).write_text(table)
    return table
