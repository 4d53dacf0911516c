"""Delivering notices: the relay, one function per kind, templates, Web Push, reminders.

Separate from ``app.services.notifications`` (what use cases call while storing awards)
because delivery reads credentials' badge art, and credentials import awarding.
"""
