"""Infrastructure: database dialects and pools, caches, broker, detection gate, pub/sub.

May import the domain, the models, config and extensions; never services, read side or transports.
"""
