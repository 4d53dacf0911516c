"""``python -m app.grpc``: run the gRPC server process (settings from ACHIEVEMENTS_* env vars)."""

from app.infra.metrics import processes

processes.prepare("grpc", fresh=True)  # before anything imports prometheus-client

from app.grpc.server import main  # noqa: E402

main()
