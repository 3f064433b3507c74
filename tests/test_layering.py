"""The dependency direction of CONVENTIONS.md, read from the code itself.

core ← accounts ← catalog ← orders ← role apps ← insights: a module may import
its own app and the apps below it, never one above. Role apps do not import each
other's models (a role app's services and selectors are its public face). Every
import counts, including those inside functions and under TYPE_CHECKING, and
so do app-registry lookups by label (`apps.get_model("accounts", ...)`), which
are an import by another name.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APPS_DIR = Path(__file__).resolve().parent.parent / "apps"

ROLE_APPS = ("sales", "engineering", "manufacturing", "suppliers", "customers", "fulfillment")
LAYER = {
    "core": 0,
    "accounts": 1,
    "catalog": 2,
    "orders": 3,
    **dict.fromkeys(ROLE_APPS, 4),
    "insights": 5,
}
# What a role app may take from another role app (never its models).
ROLE_APP_PUBLIC = ("services", "selectors")


def _modules() -> list[Path]:
    return sorted(APPS_DIR.rglob("*.py"))


def _module_name(path: Path) -> str:
    parts = path.relative_to(APPS_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, dotted module) for every import and registry lookup in the file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            # `from apps import sales` and `from apps.sales import models` name modules too.
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get_model"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            label = node.args[0].value.split(".")[0]
            found.append((node.lineno, f"apps.{label}.models"))
    return found


def _app_of(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == "apps":
        return parts[1]
    return None


def _violations(path: Path) -> list[str]:
    source_app = _app_of(_module_name(path))
    problems = []
    for line, module in _imported_modules(path):
        target = _app_of(module)
        if target is None or target == source_app or target not in LAYER:
            continue
        where = f"{path.relative_to(APPS_DIR.parent)}:{line} imports {module}"
        if LAYER[target] > LAYER[source_app]:
            problems.append(f"{where} ({target} sits above {source_app})")
        elif LAYER[target] == LAYER[source_app]:
            submodule = module.split(".")[2] if len(module.split(".")) > 2 else ""
            if submodule not in ROLE_APP_PUBLIC:
                problems.append(
                    f"{where} (role apps reach each other only through "
                    f"{' or '.join(ROLE_APP_PUBLIC)})"
                )
    return problems


def test_every_app_has_a_place_in_the_layers():
    apps = {p.name for p in APPS_DIR.iterdir() if (p / "__init__.py").exists()}
    assert apps == set(LAYER), "place a new app in LAYER (and in CONVENTIONS.md)"


def test_no_module_imports_an_app_above_it():
    problems = [problem for path in _modules() for problem in _violations(path)]
    assert problems == [], "\n".join(problems)


def test_core_imports_nothing_of_ours():
    imported = {
        module
        for path in (APPS_DIR / "core").rglob("*.py")
        for _, module in _imported_modules(path)
        if _app_of(module) not in (None, "core")
    }
    assert imported == set()


@pytest.mark.parametrize(
    ("source", "module", "allowed"),
    [
        ("core/navigation.py", "from apps.accounts.roles import Role", False),
        ("core/services.py", "from apps.core.models import Activity", True),
        ("core/permissions.py", "import apps.accounts.models", False),
        ("core/dashboards.py", "x = apps.get_model('accounts', 'Organization')", False),
        ("orders/selectors.py", "from apps.catalog.models import Part", True),
        ("orders/services/quotes.py", "from apps.sales import views", False),
        ("orders/services/quotes.py", "from ..models import Quote", True),
        ("catalog/api.py", "from apps import orders", False),
        ("sales/views.py", "from apps.suppliers.models import RFQ", False),
        ("sales/views.py", "from apps.suppliers.services import rfq_open", True),
        ("sales/views.py", "from apps.insights import charts", False),
        ("insights/views.py", "from apps.sales.models import Opportunity", True),
    ],
)
def test_the_checker_tells_allowed_from_refused(tmp_path, monkeypatch, source, module, allowed):
    """The rule itself, on planted modules, so a broken parser cannot pass silently."""
    root = tmp_path / "apps"
    path = root / source
    path.parent.mkdir(parents=True)
    path.write_text(f"{module}\n")
    monkeypatch.setattr(f"{__name__}.APPS_DIR", root)
    assert (_violations(path) == []) is allowed
