"""Translation catalogs: extract, update, compile, and check that fr and tr are complete."""

from __future__ import annotations

import tempfile
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from portal.config import LOCALES, ROOT

TRANSLATIONS = ROOT / "portal" / "translations"
POT = TRANSLATIONS / "messages.pot"
BABEL_CFG = ROOT / "babel.cfg"
TRANSLATED = tuple(code for code in LOCALES if code != "en")


def _pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def extract(target: Path = POT) -> Path:
    _pybabel(
        "extract",
        "-F",
        str(BABEL_CFG),
        "-k",
        "_l",
        "-k",
        "lazy_gettext",
        "--no-location",
        "--omit-header",
        "--sort-output",
        "-o",
        str(target),
        str(ROOT / "portal"),
        str(ROOT / "templates"),
        str(ROOT / "worker"),
    )
    return target


def update() -> None:
    for code in TRANSLATED:
        po = TRANSLATIONS / code / "LC_MESSAGES" / "messages.po"
        if po.exists():
            _pybabel(
                "update",
                "-i",
                str(POT),
                "-d",
                str(TRANSLATIONS),
                "-l",
                code,
                "--no-fuzzy-matching",
                "--ignore-obsolete",
            )
        else:
            _pybabel("init", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", code)


def compile_catalogs(*, only_stale: bool = False) -> list[Path]:
    """Write .mo files next to the committed .po files."""
    written = []
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if only_stale and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
        with mo.open("wb") as target:
            write_mo(target, catalog)
        written.append(mo)
    return written


def problems() -> list[str]:
    """Missing, untranslated or fuzzy entries, compared with a fresh extraction."""
    with tempfile.TemporaryDirectory() as folder:
        pot_path = extract(Path(folder) / "messages.pot")
        with pot_path.open("rb") as source:
            expected = {m.id for m in read_po(source) if m.id}
    found = []
    for code in TRANSLATED:
        po = TRANSLATIONS / code / "LC_MESSAGES" / "messages.po"
        if not po.exists():
            found.append(f"{code}: no catalog")
            continue
        with po.open("rb") as source:
            catalog = read_po(source, locale=code)
        present = {}
        for message in catalog:
            if message.id:
                present[message.id] = message
        for msgid in sorted(expected, key=str):
            message = present.get(msgid)
            label = msgid if isinstance(msgid, str) else msgid[0]
            if message is None:
                found.append(f"{code}: missing {label!r}")
            elif message.fuzzy:
                found.append(f"{code}: fuzzy {label!r}")
            else:
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                if not all(strings):
                    found.append(f"{code}: untranslated {label!r}")
    return found
