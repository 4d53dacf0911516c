"""gRPC transport: ``achievements.v1.AchievementService`` over the same domain as REST.

``python -m app.grpc`` runs the server; ``python -m app.grpc.codegen`` regenerates
``generated/`` from ``protos/``.
"""
