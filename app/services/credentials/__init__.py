"""Open Badges 2.0 and 3.0: awards that leave the service, and that anyone can verify."""

from app.services.credentials.records import SharedAward, find_shared, set_sharing

__all__ = ["SharedAward", "find_shared", "set_sharing"]
