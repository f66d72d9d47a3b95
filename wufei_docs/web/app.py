"""The Starlette application: JSON API, server-rendered pages (Jinja2 + vendored htmx), static files."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from wufei_docs.web import actions, api
from wufei_docs.web.security import BodyTooLarge, Guard, Sessions, _too_large, body_limit
from wufei_docs.web.workspace import Workspace

HERE = Path(__file__).resolve().parent


@dataclass
class Config:
    workspace: Path
    host: str = "127.0.0.1"
    port: int = 8000
    password_hash: str | None = None
    user: str | None = None  # recorded as 经办人 in the city register

    def who(self) -> str:
        if self.user:
            return self.user
        try:
            return getpass.getuser()
        except (KeyError, OSError):
            return "网页用户"


def templates() -> Jinja2Templates:
    t = Jinja2Templates(directory=str(HERE / "templates"))
    t.env.globals["version"] = actions.version()
    t.env.filters["num"] = number
    return t


def number(value: Any) -> str:
    """100.0 → 100, 98.5 → 98.5, None → empty."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


async def too_large(request: Request, exc: Exception) -> Response:
    # `connection: close` makes the server drop the connection instead of reading (and discarding) the rest
    return PlainTextResponse(_too_large(body_limit(request.url.path)), status_code=413, headers={"connection": "close"})


def create_app(config: Config) -> Guard:
    """The ASGI app, wrapped in the Guard (Host, Origin, size, login)."""
    from wufei_docs.web import pages, pages_city, pages_county, pages_enterprise

    page_routes = [*pages.routes, *pages_enterprise.routes, *pages_county.routes, *pages_city.routes]

    ws = Workspace(config.workspace)
    ws.create()
    sessions = Sessions(config.password_hash)
    app = Starlette(
        routes=[
            *api.routes,
            *page_routes,
            Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
        ],
        exception_handlers={BodyTooLarge: too_large},
    )
    app.state.workspace = ws
    app.state.config = config
    app.state.sessions = sessions
    app.state.templates = templates()
    return Guard(app, host=config.host, port=config.port, sessions=sessions)


def state(request: Request) -> Any:
    return request.app.state
