"""Shared test support: catalog builders and real-service fixtures."""
