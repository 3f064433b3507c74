"""The OpenAPI schema validates, and the docs page works offline under the CSP."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
import yaml
from django.core.management import call_command
from openapi_spec_validator import validate
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(tmp_path_factory, django_db_blocker) -> dict:
    path = tmp_path_factory.mktemp("openapi") / "schema.yaml"
    with django_db_blocker.unblock():
        # --fail-on-warn: an unresolvable serializer or enum collision fails here,
        # not silently as a vague type in the clients generated from the schema.
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def test_the_generated_schema_is_valid_openapi_3(schema):
    validate(schema)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Tandem API"


def test_the_schema_documents_the_collections_and_token_auth(schema):
    paths = schema["paths"]
    for path in (
        "/api/v1/auth/token/",
        "/api/v1/me/",
        "/api/v1/organizations/",
        "/api/v1/organizations/{id}/",
    ):
        assert path in paths
    assert schema["components"]["securitySchemes"]["tokenAuth"]["name"] == "Authorization"


def test_the_schema_documents_state_transitions(schema):
    transition = schema["paths"]["/api/v1/quotes/{id}/transitions/{name}/"]["post"]
    parameters = {p["name"]: p for p in transition["parameters"]}
    assert {"id", "name"} <= set(parameters)
    assert parameters["name"]["in"] == "path"
    # The documented outcomes of DESIGN §6: the object, field errors, refusal,
    # not found, and the conflict that names the allowed transitions.
    assert {"200", "400", "403", "404", "409"} <= set(transition["responses"])
    conflict = transition["responses"]["409"]["content"]["application/json"]["schema"]["$ref"]
    conflict_schema = schema["components"]["schemas"][conflict.rsplit("/", 1)[1]]
    assert "allowed_transitions" in conflict_schema["properties"]


def test_the_token_endpoint_is_documented_as_a_login(schema):
    token = schema["paths"]["/api/v1/auth/token/"]["post"]
    # No credentials are needed to obtain a token.
    assert "security" not in token
    assert set(token["responses"]) == {"200", "400", "429"}
    ok = token["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    response = schema["components"]["schemas"][ok.rsplit("/", 1)[1]]
    assert set(response["properties"]) == {"token", "name", "expires_at"}
    assert response["properties"]["expires_at"]["format"] == "date-time"
    request = schema["components"]["schemas"]["AuthTokenRequest"]
    assert set(request["required"]) == {"username", "password"}
    assert request["properties"]["name"]["maxLength"] == 100


def test_organization_schema_never_mentions_internal_notes(schema):
    organization = schema["components"]["schemas"]["Organization"]
    assert "internal_notes" not in organization["properties"]
    assert "credit_limit" in organization["properties"]


def test_the_schema_endpoint_serves_openapi_to_an_authenticated_user(client_for, sales_rep):
    res = client_for(sales_rep).get("/api/schema/", {"format": "json"})
    assert res.status_code == 200
    body = res.json()
    validate(body)
    assert "/api/v1/organizations/" in body["paths"]


def test_the_schema_endpoint_serves_a_token_client(sales_rep):
    from tests.factories import api_token_key

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_key(sales_rep)}")
    res = client.get("/api/schema/")
    assert res.status_code == 200
    assert res["Content-Type"].startswith("application/vnd.oai.openapi")


# -- signed-in only in production --------------------------------------------------


def test_in_production_an_anonymous_caller_gets_401_for_the_schema(client, settings):
    settings.DEBUG = False
    res = client.get("/api/schema/")
    assert res.status_code == 401
    assert res["WWW-Authenticate"] == "Token"
    assert b"paths" not in res.content


def test_in_production_the_docs_send_an_anonymous_visitor_to_sign_in(client, settings):
    settings.DEBUG = False
    for path in ("/api/docs/", "/api/docs/?script="):
        res = client.get(path)
        assert res.status_code == 302
        assert res.url.startswith("/accounts/login/?next=/api/docs/")


def test_in_the_demo_schema_and_docs_are_open(client, settings):
    settings.DEBUG = True
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


def test_signed_in_the_docs_load_the_schema_with_the_session(client_for, sales_rep, settings):
    settings.DEBUG = False
    client = client_for(sales_rep)
    assert client.get("/api/docs/").status_code == 200
    assert client.get("/api/schema/").status_code == 200


# -- /api/docs/ ----------------------------------------------------------------------


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict] = []
        self.links: list[str] = []
        self.styles = 0
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.scripts.append({"src": attrs.get("src"), "body": ""})
            self._in_script = True
        elif tag == "link":
            self.links.append(attrs["href"])
        elif tag == "style":
            self.styles += 1
        if "style" in attrs or any(name.startswith("on") for name in attrs):
            raise AssertionError(f"inline style or event handler on <{tag}>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1]["body"] += data


def _same_origin(url: str) -> bool:
    return url.startswith("/") and not url.startswith("//")


@pytest.fixture
def docs(client, sales_rep):
    client.force_login(sales_rep)
    res = client.get("/api/docs/")
    assert res.status_code == 200
    page = _Assets()
    page.feed(res.content.decode())
    return res, page


def test_docs_page_has_no_inline_script_or_style(docs):
    res, page = docs
    assert page.scripts, "Swagger UI needs its scripts"
    for script in page.scripts:
        assert script["src"], "inline <script> would be blocked by script-src 'self'"
        assert not script["body"].strip()
    assert page.styles == 0
    csp = res["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp


def test_docs_page_loads_everything_from_our_own_origin(client, docs):
    _, page = docs
    urls = [s["src"] for s in page.scripts] + page.links
    assert all(_same_origin(u) for u in urls), urls
    sidecar = [u for u in urls if "/drf_spectacular_sidecar/swagger-ui-dist/" in u]
    assert len(sidecar) == 4  # bundle, preset, stylesheet, favicon
    for url in sidecar:
        # Served by WhiteNoise from the collected static files: no CDN involved.
        assert client.get(url).status_code == 200, url


def test_docs_init_script_is_served_separately_and_points_at_our_schema(client, docs):
    _, page = docs
    (init,) = [s["src"] for s in page.scripts if "script" in s["src"].split("?", 1)[-1]]
    res = client.get(init)
    assert res.status_code == 200
    assert res["Content-Type"].startswith("application/javascript")
    body = res.content.decode()
    assert "SwaggerUIBundle(" in body
    assert re.search(r'url: "/api/schema/', body)
