"""县 pages: the enterprises received, the evaluation table (saved as evaluation.yaml), the bundle."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from wufei_docs.web import actions
from wufei_docs.web.pages import flash, posted, redirect, render
from wufei_docs.web.workspace import Workspace

EVALUATION_FORMAT = "wufei/evaluation-1"
SAVED_BY = "县（市、区）验收评估，由 wufei serve 保存；wufei bundle --evaluation 读取"


@dataclass
class Received:
    """One enterprise file in the workspace, as the county sees it."""

    stem: str
    file: str
    name: str = ""
    uscc: str = ""
    county: str = ""
    total: Any = None
    verdict: str = ""
    error: str = ""
    items: list[dict[str, Any]] = field(default_factory=list)  # the score's items (self scores)
    hard: list[dict[str, Any]] = field(default_factory=list)  # applicable hard items with the self answer


def _received(ws: Workspace) -> list[Received]:
    out = []
    rubric = actions.rubric()
    titles = {i.id: i.title for i in rubric.items}
    for path in ws.enterprise_files():
        r = Received(path.stem, path.name)
        try:
            checked = actions.check_file(path)
        except actions.InputError as e:
            r.error = f"{len(e.problems)} 个问题，暂不能评估"
            out.append(r)
            continue
        payload = actions.score_payload(checked)
        u = checked.enterprise.unit
        r.name, r.uscc, r.county, r.total, r.verdict = u.name, u.uscc, u.county, payload["total"], payload["verdict"]
        r.items = [{**i, "title": titles.get(i["id"], "")} for i in payload["items"]]
        r.hard = [v for v in payload["vetoes"] if v["applies"]]
        out.append(r)
    return out


def _evaluation(ws: Workspace) -> tuple[dict[str, Any], str | None]:
    """The saved evaluation as plain data (FORMAT.md §5), or an empty one; with the reason it could not be read."""
    if not ws.evaluation.is_file():
        return {}, None
    try:
        return actions.evaluation_data(actions.load_evaluation(ws.evaluation)), None
    except actions.WufeiError as e:
        return {}, str(e)


def _bundle_state(ws: Workspace) -> dict[str, Any] | None:
    path = ws.bundle_out / "bundle.json"
    if not path.is_file() or path.is_symlink():
        return None
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    data["zip"] = ws.bundle_zip.is_file()
    return data if isinstance(data, dict) else None


async def index(request: Request) -> Response:
    ws: Workspace = request.app.state.workspace
    received = await run_in_threadpool(_received, ws)
    evaluation, problem = await run_in_threadpool(_evaluation, ws)
    return _page(request, ws, received, evaluation, [problem] if problem else [])


def _page(request: Request, ws: Workspace, received: list[Received], evaluation: dict[str, Any], errors: list[str], status: int = 200) -> Response:  # fmt: skip
    rubric = actions.rubric()
    counties = [r.county for r in received if r.county]
    evaluation.setdefault("county", counties[0] if counties else rubric.counties[0])
    return render(
        request,
        "county.html",
        status_code=status,
        nav="county",
        title="县（市、区）验收评估",
        received=received,
        ev=evaluation,
        entries=evaluation.get("enterprises") or {},
        errors=errors,
        rubric=rubric,
        bundle=_bundle_state(ws),
        summary=_summary(ws),
    )


def _summary(ws: Workspace) -> str:
    path = ws.bundle_out / "汇总.txt"
    if path.is_file() and not path.is_symlink():
        return path.read_text("utf-8", errors="replace")
    return ""


def _from_form(form: Any, received: list[Received], old: dict[str, Any]) -> dict[str, Any]:
    """The evaluation typed into the table; entries for enterprises not shown here are kept as they were."""

    def text(name: str) -> str:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""

    data: dict[str, Any] = {"format": EVALUATION_FORMAT, "county": text("county")}
    evaluators = [v for v in text("evaluators").replace("，", ",").replace("、", ",").split(",") if v.strip()]
    if evaluators:
        data["evaluators"] = [v.strip() for v in evaluators]
    enterprises = dict(old.get("enterprises") or {})
    for r in received:
        if not r.uscc:
            continue
        key = f"e.{r.uscc}"
        entry: dict[str, Any] = {}
        for name in ("received", "evaluated", "opinion"):
            if value := text(f"{key}.{name}"):
                entry[name] = value
        own = {i["id"]: i["score"] for i in r.items}
        scores = {}
        for item_id in own:
            value = text(f"{key}.score.{item_id}")
            if value:
                number = _number(value)
                if number != own[item_id]:
                    scores[item_id] = number
        if scores:
            entry["scores"] = scores
        compliance = {}
        for h in r.hard:
            choice = text(f"{key}.hard.{h['id']}")
            if choice in ("true", "false"):
                compliance[h["id"]] = choice == "true"
        if compliance:
            entry["compliance"] = compliance
        if entry:
            enterprises[r.uscc] = entry
        else:
            enterprises.pop(r.uscc, None)
    if enterprises:
        data["enterprises"] = enterprises
    contact = {k: text(f"contact.{k}") for k in ("name", "phone") if text(f"contact.{k}")}
    if contact:
        data["contact"] = contact
    return data


def _number(value: str) -> Any:
    try:
        number = float(value)
    except ValueError:
        return value  # validation names it
    return int(number) if number.is_integer() else number


def _save(ws: Workspace, data: dict[str, Any]) -> None:
    evaluation = actions.check_evaluation(data, ws.evaluation.name)
    text = actions.enterprise_yaml(actions.evaluation_data(evaluation), comment=SAVED_BY)
    with actions.folder_lock(ws.county):
        actions.write_text(ws.evaluation, text)


async def save(request: Request) -> Response:
    ws: Workspace = request.app.state.workspace
    form = await posted(request, max_files=0, max_fields=10000)
    received = await run_in_threadpool(_received, ws)
    old, _ = await run_in_threadpool(_evaluation, ws)
    data = _from_form(form, received, old)
    try:
        await run_in_threadpool(_save, ws, data)
    except actions.InputError as e:
        errors = [f"{p.path}: {p.message}" if p.path else p.message for p in e.problems]
        return _page(request, ws, received, data, ["验收评估未保存，请修改：", *errors], status=422)
    except actions.WufeiError as e:
        return redirect("/county", flash(str(e), bad=True))
    return redirect("/county", flash(f"已保存 {ws.evaluation.relative_to(ws.root)}。"))


async def make_bundle(request: Request) -> Response:
    """`wufei bundle 企业/ --evaluation 县/evaluation.yaml -o 县/推荐材料/`."""
    ws: Workspace = request.app.state.workspace
    await posted(request, max_files=0, max_fields=10)
    if not ws.evaluation.is_file():
        return redirect("/county", flash("请先填写并保存验收评估。", bad=True))
    try:
        report, _lines = await run_in_threadpool(actions.bundle, ws.enterprises, ws.evaluation, ws.bundle_out)
    except actions.WufeiError as e:
        return redirect("/county", flash(str(e), bad=True))
    done = [f"已生成推荐材料：推荐 {len(report.recommended)} 家，未推荐 {len(report.not_recommended)} 家。"]
    failed = [f"{e.source}：{e.error}" for e in report.failed]
    if failed:
        return redirect("/county", flash([*done, "以下文件无效，已跳过：", *failed], bad=True))
    return redirect("/county", flash(done))


async def bundle_zip(request: Request) -> Response:
    ws: Workspace = request.app.state.workspace
    if not ws.bundle_zip.is_file():
        return redirect("/county", flash("尚未生成推荐材料。", bad=True))
    county = (_bundle_state(ws) or {}).get("county") or ""
    from urllib.parse import quote

    name = f"{county}推荐材料.zip"
    return FileResponse(
        ws.bundle_zip,
        media_type="application/zip",
        headers={"content-disposition": f"attachment; filename=\"bundle.zip\"; filename*=UTF-8''{quote(name)}"},
    )


routes = [
    Route("/county", index, methods=["GET"]),
    Route("/county/evaluation", save, methods=["POST"]),
    Route("/county/bundle", make_bundle, methods=["POST"]),
    Route("/county/bundle.zip", bundle_zip, methods=["GET"]),
]
