"""Server-rendered pages: shared helpers (rendering, CSRF, flash messages), home and login; the route table."""

from __future__ import annotations

import asyncio
import secrets
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from wufei_docs.web.security import SESSION_COOKIE

_FLASH: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()  # one-time messages shown after a redirect
_FLASH_KEEP = 200
LOGIN_FAILURE_DELAY = 1.0  # seconds


def session_of(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE)


def csrf_token(request: Request) -> str:
    return str(request.app.state.sessions.csrf_token(session_of(request)))


async def posted(request: Request, **limits: Any) -> Any:
    """The posted form, after checking its CSRF token (hidden field `csrf` or htmx's X-CSRF-Token header)."""
    form = await request.form(**limits)
    token = request.headers.get("x-csrf-token") or form.get("csrf")
    if not request.app.state.sessions.csrf_ok(session_of(request), token if isinstance(token, str) else None):
        await form.close()
        raise HTTPException(403, "表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试")
    return form


@asynccontextmanager
async def closing(form: Any) -> AsyncIterator[Any]:
    """Uploaded files of a parsed form are removed when the block ends."""
    try:
        yield form
    finally:
        await form.close()


def flash(messages: list[str] | str, *, bad: bool = False) -> str:
    key = secrets.token_urlsafe(8)
    texts = [messages] if isinstance(messages, str) else messages
    _FLASH[key] = [{"lines": texts, "bad": bad}]
    while len(_FLASH) > _FLASH_KEEP:
        _FLASH.popitem(last=False)
    return key


def redirect(url: str, key: str | None = None) -> RedirectResponse:
    if key:
        url, hash_, fragment = url.partition("#")
        url += ("&" if "?" in url else "?") + f"m={key}" + hash_ + fragment
    return RedirectResponse(url, status_code=303)


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    state = request.app.state
    shown = _FLASH.pop(request.query_params.get("m", ""), [])
    context.setdefault("flash", [])
    context["flash"] = [*shown, *context["flash"]]
    context.update(
        csrf=csrf_token(request),
        workspace=str(state.workspace.root),
        logged_in=state.sessions.required and state.sessions.valid(session_of(request)),
    )
    response: Response = state.templates.TemplateResponse(request, name, context, status_code=status_code)
    return response


async def home(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    from wufei_docs.web import actions

    ws = request.app.state.workspace
    rubric = actions.rubric()
    register = "登记库尚未建立（导入第一个推荐包时建立）"
    if ws.register.exists():
        try:
            status = await run_in_threadpool(actions.city_status, ws.register)
            p = status.progress
            register = f"已公布 {p.published} / {p.target} 家"
        except actions.WufeiError as e:
            register = str(e)
    counts = {
        "enterprises": len(ws.enterprise_files()),
        "evaluation": ws.evaluation.exists(),
        "target": rubric.target_count,
        "register": register,
    }
    return render(request, "home.html", counts=counts, title="首页")


async def login_page(request: Request) -> Response:
    if not request.app.state.sessions.required:
        return redirect("/")
    return render(request, "login.html", title="登录")


async def login(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    sessions = request.app.state.sessions
    form = await posted(request, max_files=0, max_fields=5)
    password = form.get("password")
    token = await run_in_threadpool(sessions.login, password if isinstance(password, str) else "")
    if token is None:
        await asyncio.sleep(LOGIN_FAILURE_DELAY)  # slows guessing (scrypt already costs ~50 ms a try)
        return render(request, "login.html", status_code=401, error="密码不正确", title="登录")
    response = redirect("/")
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict", path="/")
    return response


async def logout(request: Request) -> Response:
    await posted(request, max_files=0, max_fields=5)
    request.app.state.sessions.logout(session_of(request))
    response = redirect("/login" if request.app.state.sessions.required else "/")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


routes = [
    Route("/", home),
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
