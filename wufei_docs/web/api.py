"""The JSON API of FORMAT.md §7: health, validate, score, build, bundle (each one library call)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from wufei_docs.web import actions
from wufei_docs.web.security import DATA_FILE_LIMIT, MB
from wufei_docs.web.workspace import upload_name

DATA_SUFFIXES = (".yaml", ".yml", ".xlsx")
EVALUATION_SUFFIXES = (".yaml", ".yml")
MAX_BUNDLE_FILES = 500


class UploadProblem(Exception):
    """An upload that cannot be used; `status` 422 (wrong field or type) or 413 (too large)."""

    def __init__(self, status: int, field: str, message: str) -> None:
        super().__init__(message)
        self.status, self.field, self.message = status, field, message


def errors_response(errors: list[dict[str, str]], status: int = 422) -> JSONResponse:
    return JSONResponse({"errors": errors}, status_code=status)


def problems_json(e: actions.WufeiError) -> list[dict[str, str]]:
    if isinstance(e, actions.InputError):
        return [{"path": p.path, "location": p.where, "message": p.message} for p in e.problems]
    return [{"path": "", "location": "", "message": str(e)}]


def score_json_bytes(payload: dict[str, Any]) -> bytes:
    """Exactly what `wufei score --json` prints."""
    return (json.dumps(payload, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


async def save_upload(value: Any, folder: Path, field: str, allowed: tuple[str, ...], limit: int) -> Path:
    """Copy an uploaded file into `folder` under a generated name (the browser's name only lends its suffix),
    in chunks, refusing it once it passes `limit`."""
    if not isinstance(value, UploadFile):
        raise UploadProblem(422, field, f"缺少上传文件（表单字段 {field}）")
    name = upload_name(value.filename, allowed)
    if name is None:
        kinds = "、".join(allowed)
        raise UploadProblem(422, field, f"不支持的文件类型，请上传 {kinds} 文件")
    target = folder / name
    size = 0
    with target.open("wb") as out:
        while chunk := await value.read(256 * 1024):
            size += len(chunk)
            if size > limit:
                raise UploadProblem(413, field, f"文件过大，上限为 {limit / MB:.0f} MB")
            out.write(chunk)
    return target


def upload_problem_response(e: UploadProblem) -> Response:
    return errors_response([{"path": e.field, "location": "", "message": e.message}], e.status)


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok", "version": actions.version()})


async def score_file(request: Request) -> Response:
    """POST /api/validate and /api/score: the `score --json` object, or the problems."""
    ws = request.app.state.workspace
    async with request.form(max_files=1, max_fields=10) as form:
        with ws.upload_dir() as tmp:
            try:
                path = await save_upload(form.get("file"), tmp, "file", DATA_SUFFIXES, DATA_FILE_LIMIT)
            except UploadProblem as e:
                return upload_problem_response(e)
            try:
                payload = await run_in_threadpool(_score, path)
            except actions.WufeiError as e:
                return errors_response(problems_json(e))
    return Response(score_json_bytes(payload), media_type="application/json")


def _score(path: Path) -> dict[str, Any]:
    return actions.score_payload(actions.check_file(path))


async def build(request: Request) -> Response:
    """POST /api/build: the package (FORMAT.md §4) as a zip."""
    ws = request.app.state.workspace
    async with request.form(max_files=1, max_fields=10) as form:
        pdf = str(form.get("pdf") or "") in ("1", "true", "on")
        with ws.upload_dir() as tmp:
            try:
                path = await save_upload(form.get("file"), tmp, "file", DATA_SUFFIXES, DATA_FILE_LIMIT)
            except UploadProblem as e:
                return upload_problem_response(e)
            return await _zip_of(_build_zip, (path, tmp, pdf), "申报材料.zip")


def _build_zip(path: Path, tmp: Path, pdf: bool) -> bytes:
    out = tmp / "申报材料"
    actions.build(path, out, pdf=pdf)
    target = tmp / "申报材料.zip"
    actions.zip_folder(out, target)
    return target.read_bytes()


async def bundle(request: Request) -> Response:
    """POST /api/bundle: the county bundle (推荐名单, 推荐函, every package) as a zip."""
    ws = request.app.state.workspace
    async with request.form(max_files=MAX_BUNDLE_FILES + 1, max_fields=20) as form:
        with ws.upload_dir() as tmp:
            folder = tmp / "企业"
            folder.mkdir()
            try:
                files = form.getlist("files")
                if not files:
                    raise UploadProblem(422, "files", "缺少企业申报数据文件（表单字段 files，可重复）")
                for value in files:
                    await save_upload(value, folder, "files", DATA_SUFFIXES, DATA_FILE_LIMIT)
                evaluation = await save_upload(
                    form.get("evaluation"), tmp, "evaluation", EVALUATION_SUFFIXES, DATA_FILE_LIMIT
                )
            except UploadProblem as e:
                return upload_problem_response(e)
            return await _zip_of(_bundle_zip, (folder, evaluation, tmp), "推荐材料.zip")


def _bundle_zip(folder: Path, evaluation: Path, tmp: Path) -> bytes:
    report, _ = actions.bundle(folder, evaluation, tmp / "推荐材料")
    assert report.zip_path is not None
    return report.zip_path.read_bytes()


async def _zip_of(make: Callable[..., bytes], args: tuple[Any, ...], filename: str) -> Response:
    """One library call in the thread pool → the zip it made, or 422 with the problems it raised."""
    try:
        data = await run_in_threadpool(make, *args)
    except actions.WufeiError as e:
        return errors_response(problems_json(e))
    return zip_response(data, filename)


def zip_response(data: bytes, filename: str) -> Response:
    from urllib.parse import quote

    disposition = f"attachment; filename=\"download.zip\"; filename*=UTF-8''{quote(filename)}"
    return Response(data, media_type="application/zip", headers={"content-disposition": disposition})


routes = [
    Route("/api/health", health, methods=["GET"]),
    Route("/api/validate", score_file, methods=["POST"]),
    Route("/api/score", score_file, methods=["POST"]),
    Route("/api/build", build, methods=["POST"]),
    Route("/api/bundle", bundle, methods=["POST"]),
]
