"""Process-local caches, each named for what it holds and stating its invalidation rule
and staleness bound. They hold values built by callers; they import no higher layer."""
