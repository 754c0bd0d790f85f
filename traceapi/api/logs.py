"""JSON log lines, one object per line, so request logs can be searched by field, written by a
thread of their own so the event loop never waits on a slow log reader.

Why the thread: a pipe that its reader does not drain (a stalled log shipper, a terminal paused
with Ctrl-S) fills after 64 KiB, and a plain ``StreamHandler`` then blocks the thread that
logs. On the event loop that is every request. Lines go through a bounded queue instead; when
it is full, lines are dropped and counted (``dropped_log_lines``) rather than waited for.
"""

from __future__ import annotations

import atexit
import copy
import json
import logging
import queue
from datetime import UTC, datetime
from logging.handlers import QueueHandler, QueueListener
from typing import Any

QUEUE_LINES = 10_000
_listener: QueueListener | None = None

_STANDARD_ATTRS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object: time, level, logger, message and any ``extra``."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exc"] = record.exc_text
        return json.dumps(line, default=str, ensure_ascii=False)


class DroppingQueueHandler(QueueHandler):
    """Hands records to the writer thread; never blocks, drops (and counts) when it lags."""

    def __init__(self, lines: queue.Queue[logging.LogRecord]) -> None:
        super().__init__(lines)
        self.dropped = 0

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        # Resolve what only this thread can (the message, the traceback) and keep the extras.
        prepared = copy.copy(record)
        prepared.msg = record.getMessage()
        prepared.args = None
        if record.exc_info:
            prepared.exc_text = logging.Formatter().formatException(record.exc_info)
        prepared.exc_info = None
        return prepared

    def enqueue(self, record: logging.LogRecord) -> None:
        try:
            self.queue.put_nowait(record)
        except queue.Full:
            self.dropped += 1


def configure_logging(level: str) -> None:
    """Sends ``traceapi`` logs to stderr as JSON, through the writer thread, once per process."""
    global _listener
    logger = logging.getLogger("traceapi")
    logger.setLevel(level.upper())
    if any(isinstance(h, DroppingQueueHandler) for h in logger.handlers):
        return
    lines: queue.Queue[logging.LogRecord] = queue.Queue(maxsize=QUEUE_LINES)
    writer = logging.StreamHandler()
    writer.setFormatter(JsonFormatter())
    _listener = QueueListener(lines, writer)
    _listener.start()
    atexit.register(_listener.stop)  # writes what is still queued before the process ends
    logger.addHandler(DroppingQueueHandler(lines))


def dropped_log_lines() -> int:
    """Lines dropped because the writer lagged (0 when logging was never configured)."""
    logger = logging.getLogger("traceapi")
    return sum(h.dropped for h in logger.handlers if isinstance(h, DroppingQueueHandler))
