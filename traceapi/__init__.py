"""traceapi: lot traceability for medical-device manufacturers."""

__version__ = "0.1.0"
