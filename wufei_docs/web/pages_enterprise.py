"""企业 pages: the workspace's enterprises, the form with live messages and score, save, build, downloads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wufei_docs.model import EVIDENCE_SUFFIXES
from wufei_docs.web import actions, forms, preview
from wufei_docs.web.api import DATA_SUFFIXES, UploadProblem, save_upload, zip_response
from wufei_docs.web.pages import closing, flash, posted, redirect, render
from wufei_docs.web.security import DATA_FILE_LIMIT, EVIDENCE_FILE_LIMIT
from wufei_docs.web.workspace import Workspace

SAVED_BY = "由 wufei serve（网页表单）保存；可用 wufei validate/score/build 读取"


@dataclass
class Listed:
    stem: str
    file: str
    name: str
    uscc: str
    county: str
    valid: bool
    problems: int
    total: Any = None
    verdict: str = ""
    version: int | None = None


def _workspace(request: Request) -> Workspace:
    ws: Workspace = request.app.state.workspace
    return ws


def _file(request: Request) -> Path:
    path = _workspace(request).find(request.path_params["stem"])
    if path is None:
        raise HTTPException(404, "没有这个企业文件")
    return path


def _listed(ws: Workspace, path: Path) -> Listed:
    version = _package_version(ws.package(path.stem))
    try:
        checked = actions.check_file(path)
    except actions.InputError as e:
        data = _raw_or_empty(path)
        unit = forms.mapping(data.get("unit"))
        return Listed(path.stem, path.name, str(unit.get("name") or "（未填写单位名称）"), str(unit.get("uscc") or ""),
                      str(unit.get("county") or ""), False, len(e.problems), version=version)  # fmt: skip
    payload = actions.score_payload(checked)
    u = checked.enterprise.unit
    return Listed(
        path.stem, path.name, u.name, u.uscc, u.county, True, 0, payload["total"], payload["verdict"], version
    )


def _raw_or_empty(path: Path) -> dict[str, Any]:
    try:
        data = actions.raw_data(path)
    except actions.WufeiError:
        return {}
    return data if isinstance(data, dict) else {}


def _package_version(folder: Path) -> int | None:
    try:
        manifest = actions.read_manifest(folder)
    except actions.WufeiError:
        return None
    return manifest.get("version") if manifest else None


async def index(request: Request) -> Response:
    ws = _workspace(request)
    rows = await run_in_threadpool(lambda: [_listed(ws, p) for p in ws.enterprise_files()])
    return render(request, "enterprises.html", rows=rows, nav="enterprise", title="企业")


async def create(request: Request) -> Response:
    ws = _workspace(request)
    form = await posted(request, max_files=0, max_fields=5)
    stem = ws.new_stem(str(form.get("name") or ""))
    try:
        await run_in_threadpool(actions.write_skeleton, ws.enterprises / f"{stem}.yaml")
    except actions.WufeiError as e:
        return redirect("/enterprises", flash(str(e), bad=True))
    return redirect(f"/enterprises/{stem}", flash(f"已新建 {stem}.yaml（由 wufei init 模板生成），请逐项填写。"))


async def upload(request: Request) -> Response:
    """Upload a YAML or xlsx file into the workspace: a workbook is converted to YAML (when valid)."""
    ws = _workspace(request)
    back = "/county" if request.query_params.get("from") == "county" else "/enterprises"
    form = await posted(request, max_files=1, max_fields=5)
    async with closing(form):
        with ws.upload_dir() as tmp:
            try:
                path = await save_upload(form.get("file"), tmp, "file", DATA_SUFFIXES, DATA_FILE_LIMIT)
            except UploadProblem as e:
                return redirect(back, flash(e.message, bad=True))
            try:
                stem, notes = await run_in_threadpool(_adopt, ws, path, tmp)
            except actions.WufeiError as e:
                return redirect(back, flash([f"文件未导入：{e}"], bad=True))
    return redirect(
        f"/enterprises/{stem}" if back == "/enterprises" else back, flash([f"已导入为 {stem}.yaml", *notes])
    )


def _adopt(ws: Workspace, path: Path, tmp: Path) -> tuple[str, list[str]]:
    if path.suffix.lower() == ".xlsx":  # kept as YAML so that the form can edit it; must be valid to convert
        converted = tmp / "converted.yaml"
        actions.convert(path, converted)
        path = converted
    data = actions.raw_data(path)  # a YAML draft need not be valid yet, but must be readable
    if not isinstance(data, dict):
        raise actions.InputError(None, "文件内容应为键值对（YAML 映射）")
    unit = forms.mapping(data.get("unit"))
    stem = ws.new_stem(str(unit.get("name") or ""))
    target = ws.enterprises / f"{stem}.yaml"
    with actions.folder_lock(ws.enterprises):
        actions.write_bytes(target, path.read_bytes())
    notes = []
    try:
        checked = actions.check_file(target)
        notes += [f"提示：{w}" for w in checked.warnings]
    except actions.InputError as e:
        notes.append(f"文件有 {len(e.problems)} 个问题，请在表单中修改。")
    return stem, notes


# --- the form --------------------------------------------------------------------------------------------


def _evaluate(state: dict[str, Any], source: str) -> tuple[dict[str, Any] | None, list[tuple[str, str]], Any]:
    """Check the form's data as `validate` would; the score when it is valid."""
    try:
        checked = actions.check_data(forms.to_data(state), source)
    except actions.InputError as e:
        return None, [(p.path, p.message) for p in e.problems], None
    return actions.score_payload(checked), [], checked


def _form_context(request: Request, path: Path, state: dict[str, Any]) -> dict[str, Any]:
    rubric = actions.rubric()
    layout = forms.sections(state, rubric)
    payload, problems, _ = _evaluate(state, path.name)
    placed, general = forms.place_messages(problems, layout.paths())
    return {
        "stem": path.stem,
        "file": path.name,
        "layout": layout,
        "placed": placed,
        "general": general,
        "score": payload,
        "problems": len(problems),
        "problem_list": [f"{path}：{message}" if path else message for path, message in problems[:10]],
        "rubric": rubric,
        "dom_id": forms.dom_id,
    }


def _versions(ws: Workspace, stem: str) -> list[dict[str, Any]]:
    """The package's versions, newest first, each with its 修改说明 (as `wufei build` wrote them)."""
    folder = ws.package(stem)
    out = []
    current = _package_version(folder)
    if current:
        out.append({"label": f"第 {current} 版（当前）", "note": _note(folder)})
    history = folder / "历史版本"
    if history.is_dir():
        olds = [p for p in history.iterdir() if p.is_dir() and p.name.split("-")[0].isdigit()]
        for p in sorted(olds, key=lambda p: (int(p.name.split("-")[0]), p.name), reverse=True):
            tag = "（已定稿）" if p.name.endswith("定稿") else ""
            out.append({"label": f"第 {p.name.split('-')[0]} 版{tag}", "note": _note(p)})
    return out


def _note(folder: Path) -> str:
    note = folder / "修改说明.txt"
    if note.is_file() and not note.is_symlink():
        return note.read_text("utf-8", errors="replace")[:20000]
    return ""


async def edit(request: Request) -> Response:
    ws = _workspace(request)
    path = _file(request)
    data = await run_in_threadpool(_raw_or_empty, path)
    state = forms.state_from_data(data)
    context = await run_in_threadpool(_form_context, request, path, state)
    versions = await run_in_threadpool(_versions, ws, path.stem)
    documents = await run_in_threadpool(preview.documents, ws.package(path.stem))
    return render(request, "enterprise.html", nav="enterprise", title=context["layout"].sections[0].groups[0].fields[0].value or path.stem,
                  versions=versions, documents=documents, can_preview=preview.available(),
                  evidence_rows=_evidence_rows(state), **context)  # fmt: skip


async def _state(request: Request) -> dict[str, Any]:
    form = await posted(request, max_files=0, max_fields=3000)
    return forms.read_form(form.multi_items(), actions.rubric())


async def check(request: Request) -> Response:
    """htmx: the score panel, with every field's messages swapped in out of band."""
    path = _file(request)
    state = await _state(request)
    context = await run_in_threadpool(_form_context, request, path, state)
    return render(request, "enterprise_check.html", **context)


async def rows(request: Request) -> Response:
    """htmx: add or remove a table row; the form's sections come back re-rendered."""
    path = _file(request)
    state = await _state(request)
    if add := request.query_params.get("add"):
        forms.add_row(state, add)
    if remove := request.query_params.get("remove"):
        forms.remove_row(state, remove)
    context = await run_in_threadpool(_form_context, request, path, state)
    return render(request, "enterprise_rows.html", **context)


def _save(ws: Workspace, path: Path, state: dict[str, Any]) -> tuple[Path, list[str], bool]:
    """Write the form to the enterprise's YAML: through the model when valid, as typed (a draft) otherwise."""
    data = forms.to_data(state)
    target = path.with_suffix(".yaml") if path.suffix.lower() == ".xlsx" else path
    try:
        checked = actions.check_data(data, target.name)
        text = actions.enterprise_yaml(actions.enterprise_data(checked), comment=SAVED_BY)
        messages, valid = ["已保存，校验通过。", *(f"提示：{w}" for w in checked.warnings)], True
    except actions.InputError as e:
        text = actions.enterprise_yaml(data, comment=SAVED_BY)
        messages, valid = [f"已保存草稿；尚有 {len(e.problems)} 个问题（见各字段旁的提示）。"], False
    if target != path and ws.find(target.stem) not in (None, path):
        raise actions.OutputError(f"{target.name} 已存在")
    with actions.folder_lock(ws.enterprises):
        actions.write_text(target, text)
    return target, messages, valid


async def save(request: Request) -> Response:
    ws = _workspace(request)
    path = _file(request)
    state = await _state(request)
    try:
        target, messages, _ = await run_in_threadpool(_save, ws, path, state)
    except actions.WufeiError as e:
        return redirect(f"/enterprises/{path.stem}", flash(str(e), bad=True))
    return redirect(f"/enterprises/{target.stem}", flash(messages))


async def build(request: Request) -> Response:
    """Save, then `wufei build` into 申报材料/<名称>/ (a new version when anything changed)."""
    ws = _workspace(request)
    path = _file(request)
    form = await posted(request, max_files=0, max_fields=3000)
    state = forms.read_form(form.multi_items(), actions.rubric())
    pdf = form.get("pdf") == "1"
    try:
        target, saved, valid = await run_in_threadpool(_save, ws, path, state)
        if not valid:
            return redirect(f"/enterprises/{target.stem}", flash([*saved, "数据有问题，未生成申报材料。"], bad=True))
        report = await run_in_threadpool(actions.build, target, ws.package(target.stem), pdf=pdf)
    except actions.WufeiError as e:
        return redirect(f"/enterprises/{path.stem}", flash(str(e), bad=True))
    lines = []
    if report.written and not report.unchanged:
        lines.append(f"已生成第 {report.version} 版申报材料：{'、'.join(report.written)}")
    lines += report.messages
    return redirect(f"/enterprises/{target.stem}", flash(lines))


async def final(request: Request) -> Response:
    ws = _workspace(request)
    path = _file(request)
    form = await posted(request, max_files=0, max_fields=5)
    by = str(form.get("by") or "").strip() or None
    try:
        report = await run_in_threadpool(actions.mark_final, ws.package(path.stem), by)
    except actions.WufeiError as e:
        return redirect(f"/enterprises/{path.stem}", flash(str(e), bad=True))
    return redirect(f"/enterprises/{path.stem}", flash(report.messages or ["已定稿"]))


async def package_zip(request: Request) -> Response:
    ws = _workspace(request)
    path = _file(request)
    folder = ws.package(path.stem)
    if not (folder / "manifest.json").is_file():
        return redirect(f"/enterprises/{path.stem}", flash("尚未生成申报材料，请先点击“生成申报材料”。", bad=True))
    with ws.upload_dir() as tmp:
        target = tmp / "package.zip"
        await run_in_threadpool(actions.zip_folder, folder, target, exclude=frozenset({"历史版本"}))
        data = target.read_bytes()
    return zip_response(data, f"{path.stem}-申报材料.zip")


def _evidence_rows(state: dict[str, Any]) -> list[dict[str, str]]:
    """The 支撑材料清单 rows as saved, for the upload form's choice."""
    rows = state.get("evidence")
    if not isinstance(rows, list):
        return []
    return [{k: str(r.get(k) or "") for k in ("id", "title", "file")} for r in rows if isinstance(r, dict)]


async def upload_evidence(request: Request) -> Response:
    """A scan, photo or Word file for one row of the 支撑材料清单: kept as 企业/支撑材料/<文件名>/<编号>.<ext> (the
    browser's name lends only its checked suffix), and the row's `file` set to it; the data file is saved as the
    form saves it, so `wufei validate` then checks the file itself (type, encryption, size)."""
    ws = _workspace(request)
    path = _file(request)
    back = f"/enterprises/{path.stem}"  # the message shows at the top of the page
    form = await posted(request, max_files=1, max_fields=5)
    async with closing(form):
        with ws.upload_dir() as tmp:
            try:
                upload = await save_upload(form.get("file"), tmp, "file", EVIDENCE_SUFFIXES, EVIDENCE_FILE_LIMIT)
            except UploadProblem as e:
                return redirect(back, flash(e.message, bad=True))
            try:
                messages = await run_in_threadpool(_attach_evidence, ws, path, str(form.get("row") or ""), upload)
            except actions.WufeiError as e:
                return redirect(back, flash(str(e), bad=True))
    return redirect(back, flash(messages))


def _attach_evidence(ws: Workspace, path: Path, row: str, upload: Path) -> list[str]:
    data = actions.raw_data(path)
    rows = data.get("evidence") if isinstance(data, dict) else None
    if not (row.isdigit() and isinstance(rows, list) and int(row) < len(rows) and isinstance(rows[int(row)], dict)):
        raise actions.InputError(None, "请先在支撑材料清单中增加这一行并保存，再上传文件")
    entry = rows[int(row)]
    ident = str(entry.get("id") or "")
    if not forms.EVIDENCE_ID.fullmatch(ident):
        raise actions.InputError(
            None,
            f"第 {int(row) + 1} 行的编号“{ident[:20]}”无效（应为 E01 这样的编号：字母、数字、- 或 _），请先改正并保存",
        )
    relative = f"支撑材料/{path.stem}/{ident}{upload.suffix.lower()}"
    with actions.folder_lock(ws.enterprises):
        actions.write_bytes(ws.enterprises / relative, upload.read_bytes())
    entry["file"] = relative
    _, messages, _ = _save(ws, path, forms.state_from_data(data))
    return [f"已上传 {ident} 的文件：企业/{relative}", *messages]


async def page_image(request: Request) -> Response:
    """A page of one of the package's PDFs as PNG (the document by its number in the list, never by a name)."""
    ws = _workspace(request)
    path = _file(request)
    documents = await run_in_threadpool(preview.documents, ws.package(path.stem))
    index, page = request.path_params["doc"], request.path_params["page"]
    if not (0 <= index < len(documents) and 1 <= page <= documents[index].pages):
        raise HTTPException(404, "没有这一页")
    large = request.query_params.get("size") == "large"
    data = await run_in_threadpool(preview.page_png, documents[index], page, ws.root / ".preview", large=large)
    return Response(data, media_type="image/png", headers={"cache-control": "private, max-age=60"})


async def export_xlsx(request: Request) -> Response:
    ws = _workspace(request)
    path = _file(request)
    with ws.upload_dir() as tmp:
        target = tmp / "export.xlsx"
        try:
            await run_in_threadpool(actions.convert, path, target)
        except actions.WufeiError as e:
            return redirect(f"/enterprises/{path.stem}", flash(f"无法导出 Excel：{e}", bad=True))
        data = target.read_bytes()
    return _download(data, f"{path.stem}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


async def data_file(request: Request) -> Response:
    path = _file(request)
    return _download(path.read_bytes(), path.name, "application/yaml")


def _download(data: bytes, filename: str, media_type: str) -> Response:
    from urllib.parse import quote

    disposition = f"attachment; filename=\"download{Path(filename).suffix}\"; filename*=UTF-8''{quote(filename)}"
    return Response(data, media_type=media_type, headers={"content-disposition": disposition})


def today() -> str:
    return dt.date.today().isoformat()


routes = [
    Route("/enterprises", index, methods=["GET"]),
    Route("/enterprises/new", create, methods=["POST"]),
    Route("/enterprises/upload", upload, methods=["POST"]),
    Route("/enterprises/{stem}", edit, methods=["GET"]),
    Route("/enterprises/{stem}/check", check, methods=["POST"]),
    Route("/enterprises/{stem}/rows", rows, methods=["POST"]),
    Route("/enterprises/{stem}/save", save, methods=["POST"]),
    Route("/enterprises/{stem}/build", build, methods=["POST"]),
    Route("/enterprises/{stem}/final", final, methods=["POST"]),
    Route("/enterprises/{stem}/package.zip", package_zip, methods=["GET"]),
    Route("/enterprises/{stem}/preview/{doc:int}/{page:int}.png", page_image, methods=["GET"]),
    Route("/enterprises/{stem}/evidence", upload_evidence, methods=["POST"]),
    Route("/enterprises/{stem}/export.xlsx", export_xlsx, methods=["GET"]),
    Route("/enterprises/{stem}/data.yaml", data_file, methods=["GET"]),
]
