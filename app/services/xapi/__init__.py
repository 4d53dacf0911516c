"""xAPI statements in, progress events out (DESIGN.md section 5, "xAPI").

Imports: the domain's xAPI rules, models, and the recording service (every
statement's event goes through ``record_progress``); nothing from accounts or
catalog, which call :func:`match_learner` and :func:`match_activities` instead.
"""

from app.services.xapi.attachments import parts_of
from app.services.xapi.ingest import check_statement_id, get_statement, store_statements
from app.services.xapi.matching import (
    Unmatched,
    match_activities,
    match_learner,
    record_due,
    unmatched,
)

__all__ = [
    "Unmatched",
    "check_statement_id",
    "get_statement",
    "match_activities",
    "match_learner",
    "parts_of",
    "record_due",
    "store_statements",
    "unmatched",
]
