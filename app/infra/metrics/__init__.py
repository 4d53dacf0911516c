"""Prometheus metrics: the series (``series``), what code calls to move them (``record``),
the multi-process storage each process role uses (``processes``) and the scrape
(``exposition``).

This ``__init__`` imports nothing, so an entry point can import ``processes`` and settle
the storage before prometheus-client is first imported.
"""
