"""The committed generated code is exactly what ``python -m app.grpc.codegen`` makes now."""

from __future__ import annotations

import re
from pathlib import Path

from app.grpc.codegen import GENERATED, generate

# Tool version stamps: a newer grpcio-tools on a fresh install must not fail the check while
# the code it makes from the proto is the same.
VERSION_STAMPS = re.compile(
    r"# Protobuf Python Version: .*|GRPC_GENERATED_VERSION = '.*'|"
    r"(?<=Domain\.PUBLIC,\n)\s+\d+,\n\s+\d+,\n\s+\d+,")


def relative_files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): VERSION_STAMPS.sub("<version>", p.read_text())
            for p in sorted(root.rglob("*")) if p.suffix in {".py", ".pyi"}}


def test_version_stamps_are_the_only_lines_ignored() -> None:
    source = (GENERATED / "achievements/v1/achievements_pb2.py").read_text()
    assert VERSION_STAMPS.sub("<version>", source).count("<version>") == 2


def test_generated_code_is_fresh(tmp_path: Path) -> None:
    generate(tmp_path / "generated")
    fresh, committed = relative_files(tmp_path / "generated"), relative_files(GENERATED)
    assert fresh.keys() == committed.keys()
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"stale generated code {stale}: run python -m app.grpc.codegen"


def test_generated_imports_need_no_sys_path_changes() -> None:
    from app.grpc.generated.achievements.v1 import achievements_pb2, achievements_pb2_grpc

    assert achievements_pb2_grpc.AchievementServiceStub
    assert achievements_pb2.DESCRIPTOR.name == "achievements/v1/achievements.proto"
    source = (GENERATED / "achievements/v1/achievements_pb2_grpc.py").read_text()
    assert "from app.grpc.generated.achievements.v1 import achievements_pb2" in source
