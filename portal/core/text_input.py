"""Text no database column can hold: the NUL character is refused where input comes in."""

from __future__ import annotations

from flask_babel import gettext as _

NUL = "\x00"


def nul_refused_message() -> str:
    return _("Text cannot contain the NUL character.")


def nul_locations(value, location: str = "") -> list[str]:
    """Where `value` (JSON-like: dicts, lists, strings) holds a NUL character, as dotted paths
    ("body" for the top level)."""
    found: list[str] = []
    if isinstance(value, str):
        if NUL in value:
            found.append(location or "body")
    elif isinstance(value, dict):
        for key, item in value.items():
            path = f"{location}.{key}" if location else str(key)
            if NUL in str(key):
                found.append(path)
            found.extend(nul_locations(item, path))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(nul_locations(item, f"{location}.{index}" if location else str(index)))
    return found


def without_nul(value: str | None) -> str | None:
    """Text from a source that cannot be refused (a signed webhook, a file name), made storable."""
    return value.replace(NUL, "") if isinstance(value, str) else value


def multidict_nul_locations(values) -> list[str]:
    """The same for query strings and form fields (every value of every key)."""
    return sorted({key for key, value in values.items(multi=True) if NUL in key or NUL in value})
