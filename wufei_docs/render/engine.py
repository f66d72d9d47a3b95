"""The .docx render engine: a template file + a plain view-model dict → the bytes of a .docx.

Fast path: each template is read, pre-processed (`xmlprep`) and compiled once per process, cached
under (path, sha256 of the file); a render only runs the compiled Jinja templates of the parts that
have tags and writes the zip, reusing the compressed bytes of every other member. The plain path
(`cache=False`) does all of that from scratch each time and must give the same bytes.

Safety: every template runs in a Jinja sandbox with size limits (`sandbox.py`); every value printed with `{{ }}` is escaped for
XML and its line breaks become `<w:br/>` (tabs `<w:tab/>`), so input text is data, never markup
and never template code. Undefined variables are errors, not silent blanks.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wufei_docs.errors import TemplateError
from wufei_docs.files import oserrors
from wufei_docs.files.safety import NOT_XML  # replaced so that a document always opens
from wufei_docs.files.zips import RENDERED_LEVEL, Member, write_zip
from wufei_docs.render import budget, xmlprep
from wufei_docs.render.sandbox import no_address, printable

if TYPE_CHECKING:
    from jinja2 import Template
    from jinja2.sandbox import SandboxedEnvironment
    from markupsafe import Markup

MAX_MEMBERS = 2000
MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_TEMPLATE_BYTES = 50 * 1024 * 1024
BREAK = '</w:t><w:br/><w:t xml:space="preserve">'
TAB = '</w:t><w:tab/><w:t xml:space="preserve">'


@dataclass(frozen=True)
class Part:
    """An XML member with template tags, compiled."""

    name: str
    source: str  # the Jinja source (for error messages)
    template: Template


@dataclass(frozen=True)
class CompiledDocx:
    path: Path
    digest: str
    members: tuple[Member | Part, ...]  # in the template's own order


_CACHE: dict[tuple[str, str], CompiledDocx] = {}


# What xml_text must change: most values (numbers, names, dates) hold none of it and are returned as they are.
_SPECIAL = re.compile("[&<>\"'\r\n\t" + NOT_XML.pattern[1:-1] + "]")


def xml_text(value: Any) -> Markup:
    """Jinja `finalize`: any value → escaped XML text with breaks and tabs as Word elements."""
    from markupsafe import Markup

    if value is None:
        return Markup("")
    if isinstance(value, Markup):
        return Markup(no_address(value)) if "0x" in value else value
    text = str(printable(value))
    if not _SPECIAL.search(text):
        return Markup(text)
    text = NOT_XML.sub("\ufffd", no_address(text)).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace('"', "&quot;").replace("'", "&#39;")
    return Markup(text.replace("\n", BREAK).replace("\t", TAB))


@cache
def environment() -> SandboxedEnvironment:
    """One sandboxed, autoescaping environment for built-in and user templates alike."""
    from jinja2 import StrictUndefined

    from wufei_docs.render.sandbox import make_environment

    return make_environment(autoescape=True, finalize=xml_text, undefined=StrictUndefined, keep_trailing_newline=True)


def compile_docx(path: Path, *, cache: bool = True) -> CompiledDocx:
    """Load and compile a template, from the cache when its bytes are unchanged."""
    data = _read(path)
    digest = hashlib.sha256(data).hexdigest()
    key = (str(path.resolve()), digest)
    if cache and key in _CACHE:
        _keep_sources(_CACHE[key])
        return _CACHE[key]
    compiled = CompiledDocx(path, digest, tuple(_compile_members(path.name, data, digest)))
    if cache:
        _CACHE[key] = compiled
    return compiled


def render_docx(path: Path, context: dict[str, Any], *, cache: bool = True) -> bytes:
    """Render one template with a view-model dict; same inputs → same bytes, cached or not."""
    compiled = compile_docx(path, cache=cache)
    with budget.document():  # the budgets (steps, output, time…) are per document
        members = [m if isinstance(m, Member) else _render_part(path.name, m, context) for m in compiled.members]
    return write_zip(members)


def clear_cache() -> None:
    _CACHE.clear()


def has_compiled() -> bool:
    """Whether this process has compiled templates already (a long-running caller, a forked worker)."""
    return bool(_CACHE)


# --- pre-processed sources kept on disk between processes ------------------------------------------

_STORE: list[Path] = []  # at most one folder
_STORED: set[Path] = set()  # sources known to be in the store


def use_store(folder: Path | None) -> None:
    """Keep the pre-processed Jinja source of every template part in `folder` (the bundle uses
    OUT/.wufei/templates), so that later processes skip docxtpl's tag clean-up, the slow half of
    compiling a template. Keyed by the template's bytes, the part and the pre-processor's code and
    versions, and sealed (sealed.py: a source planted in a copied folder is not used); it is compiled in
    the sandbox like any template and gives the same bytes (tests). None: off."""
    _STORE[:] = [folder] if folder is not None else []


@cache
def _engine() -> bytes:
    """What a stored source or compiled code depends on besides the template: our pre-processor and
    Jinja environment code, the installed docxtpl, lxml and Jinja (their __init__ files), the Python version.
    (Files are identified by size and mtime: importlib.metadata would cost ~20 ms of a 100 ms re-run.)"""
    import importlib.util
    import os
    import sys

    from wufei_docs.render import sandbox

    own = b"".join(Path(m.__file__ or "").read_bytes() for m in (xmlprep, sandbox, sys.modules[__name__]))
    parts = [sys.version, hashlib.sha256(own).hexdigest()]
    for module in ("docxtpl", "lxml", "jinja2"):  # top-level: find_spec imports the parents of a submodule
        try:
            spec = importlib.util.find_spec(module)
            st = os.stat(spec.origin) if spec is not None and spec.origin else None
        except (ImportError, OSError):
            st = None
        parts.append(f"{module}:{st.st_size}:{st.st_mtime_ns}" if st is not None else f"{module}:-")
    return "|".join(parts).encode()


def _store_path(digest: str, part: str, kind: str = "jinja") -> Path | None:
    """Where the source (kind "jinja") or compiled code ("code") of `part` of the template file with
    sha256 `digest` is kept."""
    if not _STORE:
        return None
    key = hashlib.sha256(_engine() + b"\0" + digest.encode() + b"\0" + part.encode()).hexdigest()
    return _STORE[0] / f"{key}.{kind}"


def _stored_source(digest: str, part: str) -> str | None:
    from wufei_docs.files import sealed

    path = _store_path(digest, part)
    return sealed.read(path) if path is not None else None


def _store_source(digest: str, part: str, source: str) -> None:
    from wufei_docs.files import sealed

    path = _store_path(digest, part)
    if path is None or path in _STORED:
        return
    if sealed.read(path) != source:
        sealed.write(path, source)  # a store that cannot be written only costs time
    _STORED.add(path)


def _compile_template(digest: str, part: str, source: str) -> Template:
    """environment().from_string(source), through the store when there is one: the compiled code is kept
    (Jinja's parse and Python's compile are two thirds of a cold re-run's template cost). A kept file is
    used only if it was compiled from this very source (its hash leads the file) and carries this user's
    seal: code nobody here compiled is never loaded."""
    import marshal

    from wufei_docs.files import sealed

    env = environment()
    path = _store_path(digest, part, "code")
    if path is None:
        return env.from_string(source)
    stamp = hashlib.sha256(source.encode("utf-8")).digest()
    code = _stored_code(path, stamp)
    if code is None:
        code = env.compile(source)
        sealed.write_bytes(path, stamp + marshal.dumps(code))
    return env.template_class.from_code(env, code, env.make_globals(None), None)


def _stored_code(path: Path, stamp: bytes) -> Any:
    import marshal

    from wufei_docs.files import sealed

    data = sealed.read_bytes(path)
    if data is None or data[: len(stamp)] != stamp:
        return None
    try:
        return marshal.loads(data[len(stamp) :])
    except (EOFError, ValueError, TypeError):
        return None


def _keep_sources(compiled: CompiledDocx) -> None:
    """A template compiled earlier in this process: make sure the store has its sources too."""
    if _STORE:
        for m in compiled.members:
            if isinstance(m, Part):
                _store_source(compiled.digest, m.name, m.source)


def _read(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_TEMPLATE_BYTES:
            raise TemplateError(f"模板 {path.name} 过大（超过 {MAX_TEMPLATE_BYTES // 1024 // 1024} MB）")
        return path.read_bytes()
    except FileNotFoundError:
        raise TemplateError(f"找不到模板文件 {path}") from None
    except OSError as e:
        raise TemplateError(oserrors.message(e, path, "无法读取模板文件")) from None


def _compile_members(name: str, data: bytes, digest: str) -> list[Member | Part]:
    kept = _stored_members(name, digest)
    if kept is not None:
        return kept
    members = _compile_zip(name, data, digest)
    _store_members(digest, members)
    return members


def _stored_members(name: str, digest: str) -> list[Member | Part] | None:
    """The template as an earlier process compiled it: its plain members compressed (their reading,
    styles trimming and compressing cost ~3 ms a template) and its parts' kept sources and code."""
    from wufei_docs.files import sealed

    path = _store_path(digest, "", "members")
    layout = sealed.read_data(path) if path is not None else None
    if not isinstance(layout, list):
        return None
    out: list[Member | Part] = []
    for entry in layout:
        if isinstance(entry, str):  # a part with tags, by name
            source = _stored_source(digest, entry)
            if source is None:
                return None
            out.append(Part(entry, source, _part_template(name, entry, source, digest)))
        else:
            out.append(Member(*entry))
    return out


def _store_members(digest: str, members: list[Member | Part]) -> None:
    from wufei_docs.files import sealed

    path = _store_path(digest, "", "members")
    if path is not None:
        layout = [m.name if isinstance(m, Part) else [m.name, m.compressed, m.crc, m.size] for m in members]
        sealed.write_data(path, layout)


def _compile_zip(name: str, data: bytes, digest: str) -> list[Member | Part]:
    try:
        archive = zipfile.ZipFile(BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        raise TemplateError(f"模板 {name} 不是有效的 Word 文档（.docx）") from None
    if len(infos) > MAX_MEMBERS or sum(i.file_size for i in infos) > MAX_UNCOMPRESSED:
        raise TemplateError(f"模板 {name} 过大")
    if "word/document.xml" not in archive.namelist():
        raise TemplateError(f"模板 {name} 缺少 word/document.xml，不是 Word 文档")
    raws = {info.filename: read_member(archive, info, name) for info in infos if not info.is_dir()}
    raws = _without_outside_links(name, _without_declarations(name, raws))
    if STYLES in raws:
        raws[STYLES] = xmlprep.used_styles_only(raws[STYLES], [v for k, v in raws.items() if k != STYLES])
    out: list[Member | Part] = []
    for part, raw in raws.items():
        if part.endswith(".xml") and _mentions_tags(raw):
            out.append(_compile_part(name, part, raw, digest))
        else:
            out.append(Member.of(part, raw))
    return out


STYLES = "word/styles.xml"


def _without_declarations(name: str, raws: dict[str, bytes]) -> dict[str, bytes]:
    """Every XML part of the template (styles, settings, customXml… not only those with tags) is free
    of DOCTYPE/ENTITY declarations, or the template is refused (`templates check` and build alike)."""
    for part, raw in raws.items():
        if _looks_like_xml(part, raw) and xmlprep.has_declaration(raw):
            raise TemplateError(
                f"模板 {name} 的 {part} 含有 DOCTYPE/ENTITY 声明：Word 保存的文档没有这种声明，"
                "生成的文档在 WPS、LibreOffice 等软件中会无法打开；请在 Word 中另存为新的 .docx"
            )
    return raws


def _looks_like_xml(part: str, raw: bytes) -> bool:
    return part.endswith((".xml", ".rels")) or raw.lstrip()[:1] == b"<" or raw[:2] in (b"\xff\xfe", b"\xfe\xff")


def _without_outside_links(name: str, raws: dict[str, bytes]) -> dict[str, bytes]:
    """No document opens something outside itself: a link to an attached template (Word's
    `attachedTemplate`, fetched when the document opens) is removed; remote images, OLE objects and
    frames are refused; hyperlinks to web pages and e-mail addresses stay (xmlprep.external_links)."""
    for part in [p for p in raws if p.endswith(".rels")]:
        links = xmlprep.external_links(raws[part])
        if links.refused:
            target = _short(links.refused[0], 60)
            raise TemplateError(
                f"模板 {name} 的 {part} 链接了文档外部的文件（{target}），生成的文档打开时会访问网络或其他文件；"
                "请在 Word 中把图片、对象嵌入文档（不要“链接到文件”）后重新保存"
            )
        if links.dropped_template:
            raws[part] = links.rels
            source = xmlprep.rels_source(part)
            if source in raws:
                raws[source] = xmlprep.without_attached_template(raws[source])
    for part, raw in raws.items():
        fields = xmlprep.outside_fields(raw) if part.endswith(".xml") else []
        if fields:
            raise TemplateError(
                f"模板 {name} 的 {part} 含有读取文档外部内容的域（{'、'.join(fields)}），生成的文档打开或更新域时"
                "会访问网络、其他文件或程序；请在 Word 中删除这些域（可先选中后按 Ctrl+Shift+F9 转为普通内容）后重新保存"
            )
    return raws


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> bytes:
    """One member's bytes; a damaged, encrypted or oddly compressed member is a TemplateError."""
    import zlib

    try:
        return archive.read(info)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError):
        raise TemplateError(f"模板 {name} 已损坏（{info.filename} 无法解压），请在 Word 中重新保存") from None


def _mentions_tags(raw: bytes) -> bool:
    return (b"{" in raw) and xmlprep.has_tags(raw.decode("utf-8", errors="replace"))


def _compile_part(name: str, part: str, raw: bytes, digest: str) -> Part:
    source = _stored_source(digest, part)
    if source is None:
        try:
            source = xmlprep.to_jinja(xmlprep.canonical_xml(raw))
        except Exception as e:  # lxml.etree.XMLSyntaxError and friends (their text is English)
            line = getattr(e, "lineno", None)
            where = f"（第 {line} 行附近）" if isinstance(line, int) else ""
            raise TemplateError(f"模板 {name} 的 {part} 不是有效的 XML{where}，请在 Word 中重新保存") from None
        _store_source(digest, part, source)
    return Part(part, source, _part_template(name, part, source, digest))


def _part_template(name: str, part: str, source: str, digest: str) -> Template:
    from jinja2 import TemplateSyntaxError

    try:
        return _compile_template(digest, part, source)
    except TemplateSyntaxError as e:
        raise TemplateError(f"模板 {name} 语法错误：{_explain(e.message)}{quote_line(source, e.lineno)}") from None
    except RecursionError:
        raise TemplateError(f"模板 {name} 的标签嵌套过深") from None


_SYNTAX_HINTS = (
    ("unexpected end of template", "标签不成对，缺少结束标签（如 {% endfor %}、{% endif %}）"),
    ("Encountered unknown tag", "未知的标签或多余的结束标签"),
    ("Expected an expression", "标签中缺少表达式"),
    ("unexpected", "标签中有无法识别的字符"),
)


def _explain(message: str | None) -> str:
    """A Chinese hint for Jinja's (English) syntax message, which is kept for reference."""
    message = message or ""
    hint = next((h for key, h in _SYNTAX_HINTS if key in message), "标签写法有误")
    return f"{hint}（{message}）" if message else hint


def quote_line(source: str, lineno: int | None) -> str:
    """'（所在段落：“…”）' for the paragraph on a Jinja source line."""
    if not lineno:
        return ""
    lines = source.split("\n")
    if not 0 < lineno <= len(lines):
        return ""
    line = lines[lineno - 1]
    text = xmlprep.paragraph_text(line).strip()
    # {%p %}/{%tr %} tags lose their own paragraph/row and end up after the previous paragraph
    loose = [t for t in re.findall(r"{%.*?%}", line) if t not in text]
    if loose:
        where = f"，位于段落“{_short(text)}”之后" if text else ""
        return f"（标签“{_short(loose[-1])}”{where}）"
    return f"（所在段落：“{_short(text)}”）" if text else ""


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _render_part(name: str, part: Part, context: dict[str, Any]) -> Member:
    from jinja2 import TemplateError as JinjaError
    from jinja2 import UndefinedError
    from jinja2.exceptions import SecurityError

    from wufei_docs.render.sandbox import explain_runtime, explain_security, render_limited

    try:
        xml = xmlprep.from_jinja_output(render_limited(part.template.generate(context)))
    except budget.OverBudget as e:
        raise TemplateError(f"模板 {name} 超出限制：{e}") from None
    except TemplateError as e:  # the sandbox's size limits
        raise TemplateError(f"模板 {name} 无法生成：{e}") from None
    except MemoryError:
        raise TemplateError(f"模板 {name} 无法生成：内存不足（模板生成的内容过多）") from None
    except SecurityError as e:
        raise TemplateError(f"模板 {name} 试图执行不允许的操作，已拒绝：{explain_security(str(e))}") from None
    except UndefinedError as e:
        raise TemplateError(f"模板 {name} 使用了不存在的变量：{_undefined(e.message)}") from None
    except JinjaError as e:
        raise TemplateError(f"模板 {name} 无法生成：{_explain_jinja(e.message)}") from None
    except RecursionError:
        raise TemplateError(f"模板 {name} 无法生成：宏或标签递归调用过深") from None
    except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError, RuntimeError) as e:
        raise TemplateError(f"模板 {name} 无法生成：{explain_runtime(e)}") from None
    data = (xmlprep.XML_DECLARATION + xml).encode("utf-8")
    _check_well_formed(name, part.name, data)
    return Member.of(part.name, data, RENDERED_LEVEL)


def _explain_jinja(message: str | None) -> str:
    """A Jinja run-time error (English) as a Chinese hint; Jinja's words kept only when they hold no repr."""
    message = message or ""
    hint = "模板标签的用法有误"
    if "namespace" in message:
        hint = "只能给 namespace() 对象的属性赋值（{% set ns.x = … %}）"
    elif "cycling" in message:
        hint = "loop.cycle() 至少需要一个参数"
    if not message or "<" in message or " at 0x" in message:
        return hint
    return f"{hint}（{message}）"


def _undefined(message: str | None) -> str:
    """ "'dict object' has no attribute 'x'" → "字段 “x”"; "'x' is undefined" → "“x”"."""
    message = message or ""
    m = re.search(r"has no attribute '([^']*)'", message) or re.fullmatch(r"'([^']*)' is undefined", message)
    if m is None:
        return message
    return f"“{m.group(1)}”（可用 wufei templates check 查看所有问题）"


def _check_well_formed(name: str, part: str, data: bytes) -> None:
    """A document Word cannot open is never written (expat: fast; templates may not carry a DTD)."""
    from xml.parsers import expat

    parser = expat.ParserCreate()
    try:
        parser.Parse(data, True)
    except expat.ExpatError as e:
        raise TemplateError(
            f"模板 {name} 生成的 {part} 不是有效的 XML（{expat.errors.messages[e.code]}，第 {e.lineno} 行）；"
            "请检查 {%p %}、{%tr %} 等标签是否成对、是否放在同一段落或同一表格中"
        ) from None
