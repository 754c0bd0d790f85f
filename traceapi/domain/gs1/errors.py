"""The one error GS1 parsing raises, carrying where in the value the fault lies."""

from __future__ import annotations

from typing import Any

from traceapi.errors import InvalidInput


class GS1Error(InvalidInput):
    """A GS1 identifier that cannot be accepted; the message names the AI, check digit or date.

    ``ai``, ``position`` and ``length`` (when known) locate the bad characters inside the AI's
    value, so callers can mark them up for a person.
    """

    def __init__(
        self,
        message: str,
        *,
        ai: str | None = None,
        value: str | None = None,
        position: int | None = None,
        length: int | None = None,
        component_end: int | None = None,
        details: Any = None,
    ) -> None:
        if details is None and ai is not None:
            details = {"ai": ai}
        super().__init__(message, details=details)
        self.ai = ai
        self.value = value
        self.position = position
        self.length = length
        self.component_end = component_end
