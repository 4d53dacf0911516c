"""The domain: catalog view, learner state, progress input, rules and their registry.

Pure Python: imports only the standard library, ``app.errors`` and itself (no Flask, SQL, Redis).
"""

from app.domain import badge_rules as _badges  # noqa: F401  (registers the badge stage)
from app.domain import rules as _rules  # noqa: F401  (registers the built-in rules)
