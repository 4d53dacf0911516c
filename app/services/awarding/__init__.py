"""Detect and award: detection, storing awards once, publishing them, backfill, revocation."""
