"""Rule registry, detection, awards, history, summary and backfill."""

from app.achievements import rules as _rules  # noqa: F401  (registers the rules)
