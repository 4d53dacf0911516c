"""Celery app and tasks. Tasks are thin: they take ids and call app code."""
