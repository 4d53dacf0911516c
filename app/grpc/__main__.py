"""``python -m app.grpc``: run the gRPC server process (settings from ACHIEVEMENTS_* env vars)."""

from app.grpc.server import main

main()
