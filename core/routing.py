"""URL rules whose builders are compiled when first used (start-up time, issue 15).

Werkzeug compiles, for every rule as it is added, two Python functions that build its
URL (``url_for``): it generates their source, parses it with ``ast`` and compiles it —
a tenth of ``create_app`` with all plugins (~900 functions for ~450 rules), for rules most
of which a worker never builds a URL for. :class:`LazyRule` compiles each of the two on its
first call instead, with Werkzeug's own code, and keeps it: the URLs built are the same.
Matching (the routing of a request) is untouched: Werkzeug's state machine is built from
the rules' parts, not from these functions.
"""

from __future__ import annotations

from werkzeug.routing import Rule


class LazyRule(Rule):
    def _compile_builder(self, append_unknown: bool = True):
        compile_now = super()._compile_builder
        name = "_build_unknown" if append_unknown else "_build"

        def build(rule, **values):
            real = compile_now(append_unknown).__get__(rule, None)
            setattr(rule, name, real)  # later calls go straight to the compiled builder
            return real(**values)

        return build
