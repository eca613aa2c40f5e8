"""Themes as data: TOML files loaded into Textual `Theme` objects.

Built-in themes ship next to this module; users drop their own `*.toml` files into
`settings.themes_dir`. A file that fails to load is reported (never fatal), so a typo in a
colour cannot stop an agent from working.

File format (see `agentdesk-dark.toml`)::

    name = "my-theme"
    dark = true
    [colors]        # primary is required; the rest are derived when missing
    primary = "#5B9BF0"
    [variables]     # agentdesk's own (THEME_VARIABLES) and any Textual design variable
    sla-breached = "#FF6B6B"
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.theme import Theme

DEFAULT_THEME = "agentdesk-dark"

# The variables agentdesk's CSS uses beyond Textual's own; every theme gets them (derived from
# its colours when the file does not set them), so `$sla-breached` always resolves.
THEME_VARIABLES = (
    "sla-ok",
    "sla-warning",
    "sla-breached",
    "priority-urgent",
    "priority-high",
    "vip",
)

COLOR_KEYS = (
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)

_TOP_LEVEL_KEYS = {"name", "dark", "colors", "variables"}
_WITH_ALPHA = re.compile(r"^(?P<color>.+?)\s+(?P<percent>\d{1,3})%$")
_TEXT_STYLES = {"bold", "italic", "underline", "reverse", "strike", "dim", "none", "not"}


class ThemeFileError(Exception):
    """A theme file that cannot be used; the message names the file and the bad key."""


def _check_color(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise ThemeFileError(f"{where}: expected a colour string, got {value!r}")
    try:
        Color.parse(value)
    except ColorParseError:
        raise ThemeFileError(f"{where}: {value!r} is not a colour") from None
    return value


def _check_variable(name: str, value: object, where: str) -> str:
    """Colours, `colour NN%` / `auto NN%`, or text styles for `*-text-style` variables.

    Checked here because a bad value would otherwise break the whole stylesheet at run time.
    """
    if not isinstance(value, str):
        raise ThemeFileError(f"{where}: expected a string, got {value!r}")
    if name.endswith("text-style"):
        if not set(value.split()) <= _TEXT_STYLES:
            raise ThemeFileError(f"{where}: {value!r} is not a text style")
        return value
    match = _WITH_ALPHA.match(value)
    if match and match["color"] == "auto":
        return value
    _check_color(match["color"] if match else value, where)
    return value


def parse_theme(text: str, source: str) -> Theme:
    """A `Theme` from the TOML text of a theme file; `source` names it in error messages."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ThemeFileError(f"{source}: not valid TOML ({error})") from None
    unknown = sorted(set(raw) - _TOP_LEVEL_KEYS)
    if unknown:
        raise ThemeFileError(f"{source}: unknown key {unknown[0]!r}")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ThemeFileError(f"{source}: `name` must be a non-empty string")
    dark = raw.get("dark", True)
    if not isinstance(dark, bool):
        raise ThemeFileError(f"{source}: `dark` must be true or false")
    colors = raw.get("colors", {})
    if not isinstance(colors, dict):
        raise ThemeFileError(f"{source}: [colors] must be a table")
    for key in colors:
        if key not in COLOR_KEYS:
            raise ThemeFileError(f"{source}: colors.{key} is not one of {', '.join(COLOR_KEYS)}")
    if "primary" not in colors:
        raise ThemeFileError(f"{source}: colors.primary is required")
    checked = {key: _check_color(value, f"{source}: colors.{key}") for key, value in colors.items()}
    variables = raw.get("variables", {})
    if not isinstance(variables, dict):
        raise ThemeFileError(f"{source}: [variables] must be a table")
    checked_variables = {
        str(key): _check_variable(str(key), value, f"{source}: variables.{key}")
        for key, value in variables.items()
    }
    return Theme(name=name.strip(), dark=dark, variables=checked_variables, **checked)


def load_theme_file(path: Path) -> Theme:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ThemeFileError(f"{path}: cannot be read ({error})") from None
    return parse_theme(text, str(path))


def builtin_themes() -> list[Theme]:
    """The themes shipped inside the package, by name."""
    folder = resources.files(__package__)
    files = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".toml")),
        key=lambda entry: entry.name,
    )
    return [parse_theme(entry.read_text(encoding="utf-8"), entry.name) for entry in files]


@dataclass(frozen=True, slots=True)
class LoadedThemes:
    themes: list[Theme] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # one message per broken file


def load_user_themes(directory: Path) -> LoadedThemes:
    """Every `*.toml` in `directory` (missing directory: none); broken files become problems."""
    if not directory.is_dir():
        return LoadedThemes()
    loaded = LoadedThemes()
    for path in sorted(directory.glob("*.toml")):
        try:
            loaded.themes.append(load_theme_file(path))
        except ThemeFileError as error:
            loaded.problems.append(str(error))
    return loaded


def variable_defaults(theme: Theme) -> dict[str, str]:
    """Values for THEME_VARIABLES derived from a theme's colours, for themes that omit them."""
    colors = theme.to_color_system().generate()
    return {
        "sla-ok": colors["success"],
        "sla-warning": colors["warning"],
        "sla-breached": colors["error"],
        "priority-urgent": colors["error"],
        "priority-high": colors["warning"],
        "vip": colors["accent"],
    }
