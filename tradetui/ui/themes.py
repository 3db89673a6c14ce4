"""Themes from ``themes/*.toml`` (the project's and the user's), as Textual themes.

A theme file has a ``name`` and Textual's colour keys (primary, secondary, accent, warning,
error, success, foreground, background, surface, panel, boost), ``dark`` and optional
``[variables]``."""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path
from typing import Any

from textual.theme import Theme

log = logging.getLogger(__name__)

_HERE = Path(__file__).resolve().parent
BUNDLED = (_HERE / "bundled_themes", _HERE.parents[1] / "themes")
"""Wheels carry the project's ``themes/`` as ``bundled_themes``; a source checkout reads it in place."""
_KEYS = (
    "primary",
    "secondary",
    "accent",
    "warning",
    "error",
    "success",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)


def theme_from_toml(path: Path) -> Theme:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    unknown = set(data) - {"name", "dark", "variables", *_KEYS}
    if unknown:
        raise ValueError(f"{path.name}: unknown keys {', '.join(sorted(unknown))}")
    if "name" not in data or "primary" not in data:
        raise ValueError(f"{path.name}: a theme needs at least name and primary")
    colours: dict[str, Any] = {k: str(data[k]) for k in _KEYS if k in data}
    return Theme(
        name=str(data["name"]),
        dark=bool(data.get("dark", True)),
        variables={str(k): str(v) for k, v in dict(data.get("variables", {})).items()},
        **colours,
    )


def load_themes(extra_dir: Path | None = None) -> list[Theme]:
    themes = []
    for folder in (*BUNDLED, extra_dir):
        if folder is None or not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                themes.append(theme_from_toml(path))
            except (ValueError, tomllib.TOMLDecodeError) as exc:
                log.warning("theme %s skipped: %s", path, exc)
    return themes
