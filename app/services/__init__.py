"""Application services: record progress, detect and award, publish, backfill, revoke,
accounts and catalog import. May import the read side, domain, infrastructure and models."""
