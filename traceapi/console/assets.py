"""Where the console's templates and static files live, and the ``/static`` route serving them."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape

PACKAGE_DIR = Path(__file__).resolve().parent
STATIC_DIR = PACKAGE_DIR / "static"
TEMPLATE_DIR = PACKAGE_DIR / "templates"
STATIC_PATH = "/static"

templates = Environment(
    loader=FileSystemLoader(TEMPLATE_DIR),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
"""One Jinja environment for every page; autoescaping on, so data never becomes markup."""


def static_url(path: str) -> str:
    """The URL of a file under ``static/``."""
    return f"{STATIC_PATH}/{path}"


templates.globals["static"] = static_url


def mount_static(app: FastAPI) -> None:
    """Serves ``static/`` (vendored libraries and the console's own scripts) at ``/static``."""
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="static")
