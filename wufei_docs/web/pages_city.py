"""市 pages: import county bundles, the register (filters), publish, spot checks, 摘牌, progress toward the target."""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from wufei_docs.web import actions
from wufei_docs.web.api import UploadProblem, save_upload
from wufei_docs.web.pages import closing, flash, posted, redirect, render
from wufei_docs.web.security import CITY_IMPORT_LIMIT
from wufei_docs.web.workspace import Workspace

DOC_SUFFIXES = (".docx", ".xlsx", ".pdf")


def _ws(request: Request) -> Workspace:
    ws: Workspace = request.app.state.workspace
    return ws


def _who(request: Request) -> str:
    return str(request.app.state.config.who())


def _overview(ws: Workspace) -> dict[str, Any]:
    if not ws.register.exists():
        return {"units": [], "status": None, "history": []}
    return {
        "units": actions.city_units(ws.register),
        "status": actions.city_status(ws.register),
        "history": actions.city_history(ws.register)[-30:][::-1],
    }


def _documents(ws: Workspace) -> list[dict[str, str]]:
    """The documents publish and spotcheck wrote (名单/, 抽查/), found by listing."""
    out = []
    for kind, folder in (("名单", ws.lists), ("抽查", ws.checks)):
        if folder.is_dir():
            for p in sorted(folder.rglob("*")):
                if p.is_file() and not p.is_symlink() and p.suffix in DOC_SUFFIXES and not p.name.startswith("."):
                    rel = p.relative_to(folder).as_posix()
                    out.append({"kind": kind, "name": rel, "url": f"/city/files/{quote(kind)}/{quote(rel)}"})
    return out


async def index(request: Request) -> Response:
    ws = _ws(request)
    try:
        overview = await run_in_threadpool(_overview, ws)
    except actions.WufeiError as e:
        overview = {"units": [], "status": None, "history": [], "error": str(e)}
    status_filter = request.query_params.get("status", "")
    county_filter = request.query_params.get("county", "")
    units = [
        u
        for u in overview["units"]
        if (not status_filter or u.status == status_filter) and (not county_filter or u.county == county_filter)
    ]
    status = overview["status"]
    rubric = actions.rubric()
    next_batch = (max((b["batch"] for b in status.batches), default=0) + 1) if status else 1
    return render(
        request,
        "city.html",
        nav="city",
        title="市级登记库",
        units=units,
        all_units=len(overview["units"]),
        status=status,
        history=overview["history"],
        error=overview.get("error"),
        statuses=actions.city_statuses(),
        counties=rubric.counties,
        status_filter=status_filter,
        county_filter=county_filter,
        next_batch=next_batch,
        chart=_chart(status, rubric) if status else None,
        documents=_documents(ws),
        today=dt.date.today().isoformat(),
    )


def _chart(status: Any, rubric: Any) -> dict[str, Any]:
    """An inline SVG: one square per unit of the target, filled when it counts toward it."""
    p = status.progress
    cells = max(p.target, p.published)
    return {
        "cells": [{"x": 4 + i * 26, "filled": i < p.published} for i in range(cells)],
        "width": 8 + cells * 26,
        "published": p.published,
        "target": p.target,
        "percent": p.percent,
        "days_left": p.days_left,
        "year": p.target_year,
        "counties": [(name, counts, sum(counts.values())) for name, counts in status.counties],
        "max_county": max((sum(c.values()) for _, c in status.counties), default=1) or 1,
    }


def _back(request: Request) -> str:
    query = {k: v for k, v in request.query_params.items() if k in ("status", "county") and v}
    return "/city" + (f"?{urlencode(query)}" if query else "")


async def import_bundle(request: Request) -> Response:
    """`wufei city import 推荐包.zip`: the upload is kept in 市/收件/ under a generated name."""
    ws = _ws(request)
    form = await posted(request, max_files=1, max_fields=5)
    async with closing(form):
        ws.inbox.mkdir(parents=True, exist_ok=True)
        try:
            with ws.upload_dir() as tmp:
                path = await save_upload(form.get("file"), tmp, "file", (".zip",), CITY_IMPORT_LIMIT)
                kept = ws.inbox / f"{dt.date.today():%Y%m%d}-{secrets.token_hex(4)}.zip"
                shutil.move(path, kept)
        except UploadProblem as e:
            return redirect("/city", flash(e.message, bad=True))
    try:
        report = await run_in_threadpool(actions.city_import, ws.register, [kept], _who(request))
    except actions.WufeiError as e:
        kept.unlink(missing_ok=True)
        return redirect("/city", flash(f"推荐包未导入：{e}", bad=True))
    lines, bad = [], False
    for b in report.bundles:
        seen = "" if b.new else "（此前已导入过）"
        lines.append(f"已导入 {b.county}（{b.date}）推荐包{seen}：新增 {len(b.added)} 个，重新推荐 {len(b.again)} 个，"
                     f"未变 {len(b.unchanged)} 个，未推荐 {len(b.not_recommended)} 个，冲突 {len(b.conflicts)} 个")  # fmt: skip
        lines += [f"未推荐：{n}" for n in b.not_recommended]
        lines += [f"提示：{n}" for n in b.notes]
        lines += [f"冲突：{c}" for c in b.conflicts]
        bad = bad or bool(b.conflicts)
    return redirect("/city", flash(lines, bad=bad))


async def publish(request: Request) -> Response:
    ws = _ws(request)
    form = await posted(request, max_files=0, max_fields=5)
    try:
        batch = int(str(form.get("batch") or ""))
    except ValueError:
        return redirect("/city", flash("批次应为数字", bad=True))
    try:
        report = await run_in_threadpool(
            actions.city_publish, ws.register, batch, ws.lists / f"第{batch}批", _who(request)
        )
    except actions.WufeiError as e:
        return redirect("/city", flash(str(e), bad=True))
    head = (
        f"第{batch}批此前已公布，已重新生成文件"
        if report.reissued
        else f"已公布第{batch}批建设单位名单，共 {len(report.listed)} 家"
    )
    return redirect("/city", flash([head, *(f"{u.seq}. {u.name}（{u.county}）" for u in report.listed)]))


async def spotcheck(request: Request) -> Response:
    ws = _ws(request)
    form = await posted(request, max_files=0, max_fields=5)
    try:
        sample, seed = int(str(form.get("sample") or "")), int(str(form.get("seed") or ""))
    except ValueError:
        return redirect("/city", flash("抽取数和种子应为整数", bad=True))
    try:
        report = await run_in_threadpool(actions.city_spotcheck, ws.register, sample, seed, ws.checks, _who(request))
    except actions.WufeiError as e:
        return redirect("/city", flash(str(e), bad=True))
    head = f"第{report.check}次抽查：从 {report.population} 家已公布单位中抽取 {len(report.drawn)} 家（种子 {seed}）"
    return redirect("/city", flash([head, *(f"{d.seq}. {d.name}（{d.county}）" for d in report.drawn)]))


async def unit_action(request: Request) -> Response:
    """摘牌 or 抽查结果 of one unit."""
    ws = _ws(request)
    form = await posted(request, max_files=0, max_fields=10)
    uscc = str(form.get("uscc") or "")
    reason = str(form.get("reason") or "").strip() or None
    action = request.path_params["action"]
    try:
        if action == "delist":
            if not reason:
                return redirect(_back(request), flash("摘牌须写明原因", bad=True))
            unit = await run_in_threadpool(actions.city_delist, ws.register, uscc, reason, _who(request))
            text = f"已摘牌：{unit.name}（{unit.uscc}），原因：{reason}"
        elif action in ("pass", "fail"):
            unit = await run_in_threadpool(
                actions.city_result, ws.register, uscc, action == "pass", reason, _who(request)
            )
            text = f"已登记抽查结果：{unit.name}（{unit.uscc}）" + (
                "合格，恢复“公布”" if action == "pass" else "不合格，须重新创建"
            )
        else:
            raise HTTPException(404)
    except actions.WufeiError as e:
        return redirect(_back(request), flash(str(e), bad=True))
    return redirect(_back(request), flash(text))


async def document(request: Request) -> Response:
    ws = _ws(request)
    kind, name = request.path_params["kind"], request.path_params["name"]
    found = next((d for d in _documents(ws) if d["kind"] == kind and d["name"] == name), None)
    if found is None:
        raise HTTPException(404, "没有这个文件")
    folder = ws.lists if kind == "名单" else ws.checks
    path = folder / Path(found["name"])
    return FileResponse(
        path,
        headers={
            "content-disposition": f"attachment; filename=\"document{path.suffix}\"; filename*=UTF-8''{quote(path.name)}"
        },
    )


routes = [
    Route("/city", index, methods=["GET"]),
    Route("/city/import", import_bundle, methods=["POST"]),
    Route("/city/publish", publish, methods=["POST"]),
    Route("/city/spotcheck", spotcheck, methods=["POST"]),
    Route("/city/unit/{action}", unit_action, methods=["POST"]),
    Route("/city/files/{kind}/{name:path}", document, methods=["GET"]),
]
