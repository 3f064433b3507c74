"""`{% memo key1 key2 %}…{% endmemo %}`: a fragment rendered once per process and key.

The page shell (base.html) repeats on every page what depends on nothing but
constants: the static file links (a manifest lookup each), the account menu's
URLs, the navigation entries of a set of roles. Rendering them costed about as
much as a bare logged-in request. A memo block renders once per key and then
answers the stored text.

Correct by construction only if the keys name everything the block shows that
is not a constant of the process: pass them (`{% memo nav_key %}` where nav_key is
the entries and the active one, see apps/core/navigation.py), and never put
anything of the user or the request inside a memo block without its key. The
script prefix, urlconf, language and autoescape are always part of the key; a
changed setting (tests) empties the store; a template parsed again (a changed
file in development) gets new blocks with new keys. Bounded: the oldest entries
go first.
"""

from __future__ import annotations

import itertools
import threading

from django import template
from django.core.signals import setting_changed
from django.urls import get_script_prefix, get_urlconf
from django.utils.functional import LazyObject, empty
from django.utils.translation import get_language

register = template.Library()

MAX_ENTRIES = 512
_fragments: dict[tuple, str] = {}
_lock = threading.Lock()
_block_ids = itertools.count()


def memo_clear(**_kwargs) -> None:
    with _lock:
        _fragments.clear()


setting_changed.connect(memo_clear)


def _plain(value):
    """A key's value itself, not a lazy wrapper (a stored key must not hold a request)."""
    if isinstance(value, LazyObject):
        if value._wrapped is empty:
            value._setup()
        return value._wrapped
    return value


class MemoNode(template.Node):
    def __init__(self, nodelist: template.NodeList, keys: list) -> None:
        self.nodelist = nodelist
        self.keys = keys
        # Unique per parsed block, never reused (unlike id()): a re-parsed template
        # never answers an older text.
        self.block = next(_block_ids)

    def render(self, context) -> str:
        key = (
            self.block,
            get_script_prefix(),
            get_urlconf(),
            get_language(),
            context.autoescape,
            *(_plain(k.resolve(context)) for k in self.keys),
        )
        html = _fragments.get(key)
        if html is None:
            html = self.nodelist.render(context)
            with _lock:
                _fragments[key] = html
                while len(_fragments) > MAX_ENTRIES:
                    del _fragments[next(iter(_fragments))]
        return html


@register.tag
def memo(parser, token):
    keys = [parser.compile_filter(bit) for bit in token.split_contents()[1:]]
    nodelist = parser.parse(("endmemo",))
    parser.delete_first_token()
    return MemoNode(nodelist, keys)
