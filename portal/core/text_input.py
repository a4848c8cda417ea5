"""Text a database column cannot hold, refused where input comes in: more characters than the
column's length, the NUL character, and (only JSON can carry one, as an escape such as
"\\ud800") one half of a surrogate pair on its own, which has no UTF-8 form."""

from __future__ import annotations

import re

from flask_babel import gettext as _

NUL = "\x00"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def nul_refused_message() -> str:
    return _("Text cannot contain the NUL character.")


def too_long(text: str | None, column) -> str | None:
    """The error for `text` when it is longer than `column` (a table column with a length)
    can hold; None when it fits."""
    limit = column.type.length
    if text and len(text) > limit:
        return _("Too long (at most %(n)s characters).", n=limit)
    return None


def unstorable_message() -> str:
    return _("Text cannot contain the NUL character or an unpaired surrogate.")


def _shown(key) -> str:
    """A key as an error may name it: its unstorable characters as U+FFFD, so the answer is
    text any JSON reader accepts (a lone surrogate echoed back is not)."""
    return _UNSTORABLE.sub("\ufffd", str(key))


def unstorable_locations(value, location: str = "") -> list[str]:
    """Where `value` (JSON-like: dicts, lists, strings) holds a NUL character or an unpaired
    surrogate, as dotted paths ("body" for the top level; such characters in a key are shown
    as U+FFFD)."""
    found: list[str] = []
    if isinstance(value, str):
        if _UNSTORABLE.search(value):
            found.append(location or "body")
    elif isinstance(value, dict):
        for key, item in value.items():
            path = f"{location}.{_shown(key)}" if location else _shown(key)
            if _UNSTORABLE.search(str(key)):
                found.append(path)
            found.extend(unstorable_locations(item, path))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            path = f"{location}.{index}" if location else str(index)
            found.extend(unstorable_locations(item, path))
    return found


def storable(value: str | None) -> str | None:
    """Text from a source that cannot be refused (a signed webhook, a file name), made storable:
    NUL characters dropped, unpaired surrogates replaced by U+FFFD."""
    if not isinstance(value, str):
        return value
    return _SURROGATE.sub("\ufffd", value.replace(NUL, ""))


def multidict_nul_locations(values) -> list[str]:
    """The same for query strings and form fields (every value of every key)."""
    return sorted(
        {_shown(key) for key, value in values.items(multi=True) if NUL in key or NUL in value}
    )
