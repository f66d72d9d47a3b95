"""JSON the two ways wufei writes it: canonical bytes for hashing, and readable text for people."""

from __future__ import annotations

import json
from typing import Any


def canonical(value: Any) -> bytes:
    """One byte string per value (keys sorted, UTF-8, pydantic models as their JSON data): what a hash of
    data is taken over, so that equal data always gives the same fingerprint."""
    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="json")
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")


def readable_json(data: Any, levels: int = 2, indent: str = "") -> str:
    """JSON indented for the first `levels` levels, each deeper value on one line: as easy to read as
    `indent=2` for manifests and bundle.json (one line per file, item or enterprise), but encoded by the
    C encoder, which `indent` would switch off (several times slower on the large data snapshot)."""
    if levels <= 0 or not isinstance(data, dict | list) or not data:
        return json.dumps(data, ensure_ascii=False)
    inner = indent + "  "
    if isinstance(data, dict):
        body = ",\n".join(
            f"{inner}{json.dumps(str(k), ensure_ascii=False)}: {readable_json(v, levels - 1, inner)}"
            for k, v in data.items()
        )
        return "{\n" + body + "\n" + indent + "}"
    body = ",\n".join(f"{inner}{readable_json(v, levels - 1, inner)}" for v in data)
    return "[\n" + body + "\n" + indent + "]"
