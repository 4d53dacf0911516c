"""Health, reflection, and a client that knows only what reflection tells it."""

from __future__ import annotations

import grpc
from google.protobuf import descriptor_pool, message_factory
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

from app.grpc.server import SERVICE_NAME, AchievementsServer
from tests.support.grpc_client import serving

SERVICE = "achievements.v1.AchievementService"


def test_health_is_serving_for_the_server_and_the_service(channel) -> None:
    assert serving(channel, "") and serving(channel, SERVICE)


def test_health_is_not_serving_while_the_database_does_not_answer(app) -> None:
    server = AchievementsServer(app, host="127.0.0.1", port=0)
    server.readiness.database_answers = lambda: False  # type: ignore[method-assign]
    server.start()
    try:
        with grpc.insecure_channel(server.address) as ch:
            reply = health_pb2_grpc.HealthStub(ch).Check(
                health_pb2.HealthCheckRequest(service=SERVICE), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.NOT_SERVING
    finally:
        server.stop(grace=0)


def test_reflection_lists_the_service_and_health(channel) -> None:
    services = ProtoReflectionDescriptorDatabase(channel).get_services()
    assert SERVICE in services and "grpc.health.v1.Health" in services
    assert SERVICE_NAME == SERVICE


def test_a_reflection_only_client_records_and_lists(channel, service, catalog, learner) -> None:
    pool = descriptor_pool.DescriptorPool(ProtoReflectionDescriptorDatabase(channel))
    methods = pool.FindServiceByName(SERVICE).methods_by_name
    record, listing = methods["RecordProgress"], methods["ListAchievements"]

    def call(method, **fields):
        request_class = message_factory.GetMessageClass(method.input_type)
        response_class = message_factory.GetMessageClass(method.output_type)
        rpc = channel.unary_unary(f"/{SERVICE}/{method.name}",
                                  request_serializer=request_class.SerializeToString,
                                  response_deserializer=response_class.FromString)
        return rpc(request_class(**fields), metadata=service, timeout=10)

    kind = pool.FindEnumTypeByName("achievements.v1.ProgressKind").values_by_name[
        "PROGRESS_KIND_MODULE_COMPLETED"].number
    call(record, request_id="r1", user_id=learner.id, kind=kind, module="c1-u1-m1")
    keys = [a.dedupe_key for a in call(listing, user_id=learner.id).achievements]
    assert "module_complete:c1-u1-m1" in keys
