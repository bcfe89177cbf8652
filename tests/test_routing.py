"""URL builders compiled on first use (core/routing.py, issue 15 start-up)."""

from __future__ import annotations

from werkzeug.routing import Map, Rule

from core.routing import LazyRule

RULES = [("/units/<int:unit_id>", "unit", None), ("/list/", "list", {"page": 1}),
         ("/f/<path:name>", "file", None), ("/e/<int:estate_id>/day/<day>", "day", None), ("/", "home", None)]
CALLS = [("unit", {"unit_id": 7}), ("unit", {"unit_id": 7, "q": "a b", "tick": ["1", "2"]}),
         ("list", {}), ("list", {"page": 1}), ("file", {"name": "a/b c.pdf"}),
         ("day", {"estate_id": 2, "day": "2026-02-03", "x": "中"}), ("home", {"next": "/x?y=1"})]


def _built(rule_class):
    adapter = Map([rule_class(path, endpoint=ep, defaults=d) for path, ep, d in RULES]).bind("propdesk.test")
    return [adapter.build(ep, dict(values)) for ep, values in CALLS] + \
        [adapter.build(ep, dict(values), force_external=True) for ep, values in CALLS]


def test_lazy_rules_build_the_same_urls_as_werkzeugs():
    assert _built(LazyRule) == _built(Rule)


def test_the_app_compiles_a_rules_builder_only_when_a_url_is_built(app):
    from flask import url_for

    assert app.url_rule_class is LazyRule
    rules = [r for r in app.url_map.iter_rules() if r.endpoint == "estates.unit"]
    assert rules and all(r._build.__name__ == "build" for r in rules)  # stubs: nothing compiled yet
    with app.test_request_context("/"):
        assert url_for("estates.unit", unit_id=5, tab="bills") == "/estates/units/5?tab=bills"
        assert url_for("estates.unit", unit_id=6) == "/estates/units/6"
    assert any(r._build_unknown.__name__ != "build" for r in rules)  # compiled once, then kept
