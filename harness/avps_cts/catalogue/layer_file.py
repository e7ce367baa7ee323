"""Reads a requirement layer file (schema 1: layer name, spec, a list of entries) and yields its well-formed entries with their line."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import yaml

from ..yaml_text import SAFE_LOADER, safe_load

LAYER_TOP = {"schema", "layer", "spec", "requirements"}


def layer_entries(p: Path, layer: str, title: str, keys: dict[str, bool], noun: str,
                  errors: list[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line, entry) for each entry that is a mapping with every required key and no unknown one.

    keys maps each allowed key to whether it is required; title names the layer in messages
    ("the VBSA layer"), noun one entry ("rule"). Problems are appended to errors as file:line: message.
    """
    try:
        text = p.read_text(encoding="utf-8")
        root = yaml.compose(text, Loader=SAFE_LOADER)
        data: Any = safe_load(text)
    except (OSError, yaml.YAMLError) as exc:
        errors.append(f"{p}:0: cannot read {title}: {exc}")
        return
    if not isinstance(data, dict) or not isinstance(root, yaml.MappingNode):
        errors.append(f"{p}:1: {title} must be a mapping")
        return
    extra = set(data) - LAYER_TOP
    if extra or data.get("layer") != layer or data.get("schema") != 1:
        errors.append(f"{p}:1: top level needs schema: 1, layer: {layer}, requirements (unknown keys {sorted(extra)})")
        return
    seq = next((v for k, v in root.value if k.value == "requirements"), None)
    if not isinstance(seq, yaml.SequenceNode) or not isinstance(data.get("requirements"), list):
        errors.append(f"{p}:1: requirements must be a list")
        return
    for node, d in zip(seq.value, data["requirements"]):
        line = node.start_mark.line + 1
        if not isinstance(d, dict):
            errors.append(f"{p}:{line}: a {noun} must be a mapping")
            continue
        missing = [k for k, req in keys.items() if req and k not in d]
        unknown = sorted(set(d) - set(keys))
        if missing or unknown:
            errors.append(f"{p}:{line}: {noun} {d.get('id')!r}: missing keys {missing}, unknown keys {unknown}")
            continue
        yield line, d
