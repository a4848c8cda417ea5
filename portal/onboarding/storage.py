"""Where session materials (recordings, slides) are kept: files under the instance folder."""

from __future__ import annotations

from pathlib import Path

from flask import current_app


def _root() -> Path:
    root = Path(
        current_app.config.get("UPLOAD_DIR") or Path(current_app.config["INSTANCE_DIR"]) / "uploads"
    )
    root.mkdir(parents=True, exist_ok=True)
    return root


class FileStorage:
    def save(self, key: str, data: bytes) -> None:
        (_root() / key).write_bytes(data)

    def delete(self, key: str) -> None:
        (_root() / key).unlink(missing_ok=True)

    def path(self, key: str) -> Path:
        return _root() / key


storage = FileStorage()
