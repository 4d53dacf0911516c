"""Recording progress: the one service every transport calls to write."""

from app.services.recording.service import ProgressInput, RecordResult, record_many, record_progress

__all__ = ["ProgressInput", "RecordResult", "record_many", "record_progress"]
