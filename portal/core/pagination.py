"""Offset pagination shared by pages and the API."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from flask_babel import gettext as _
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError
from sqlalchemy import Select, func, select

from portal.core.errors import ValidationError
from portal.extensions import db

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_OFFSET = 2**31 - 1  # what every database takes in OFFSET; no list is that long


def _written_as_integer(value):
    """A query string's number as people write one: digits, maybe a minus sign. Python's
    int() would also take "1_0", "+1" or " 1"."""
    if isinstance(value, str) and not _INTEGER.fullmatch(value):
        raise PydanticCustomError("int_parsing", "Input should be a valid integer")
    return value


_INTEGER = re.compile(r"-?[0-9]+")

# The `limit` and `offset` query parameters of API lists.
Limit = Annotated[int, BeforeValidator(_written_as_integer), Field(ge=1, le=MAX_LIMIT)]
Offset = Annotated[int, BeforeValidator(_written_as_integer), Field(ge=0, le=MAX_OFFSET)]


class PageQuery(BaseModel):
    """The query of an API list: its own filters plus `limit` and `offset`."""

    model_config = ConfigDict(extra="ignore")
    limit: Limit = DEFAULT_LIMIT
    offset: Offset = 0


@dataclass
class Page:
    items: list
    total_count: int
    limit: int
    offset: int

    @property
    def has_previous(self) -> bool:
        return self.offset > 0

    @property
    def has_next(self) -> bool:
        return self.offset + self.limit < self.total_count

    @property
    def previous_offset(self) -> int:
        """The page before; from beyond the end (an old link, a list that shrank), the last."""
        last = (self.total_count - 1) // self.limit * self.limit if self.total_count else 0
        return min(max(self.offset - self.limit, 0), last)

    @property
    def next_offset(self) -> int:
        return self.offset + self.limit


def parse_window(limit, offset, *, default: int = DEFAULT_LIMIT) -> tuple[int, int]:
    """Validate `limit` (1..500) and `offset` (>= 0) given as strings or ints."""
    errors = {}
    try:
        limit = default if limit in (None, "") else int(limit)
        if not 1 <= limit <= MAX_LIMIT:
            raise ValueError
    except (TypeError, ValueError):
        errors["limit"] = _("Use a whole number from 1 to %(max)d.", max=MAX_LIMIT)
    try:
        offset = 0 if offset in (None, "") else int(offset)
        if not 0 <= offset <= MAX_OFFSET:
            raise ValueError
    except (TypeError, ValueError):
        errors["offset"] = _("Use a whole number from 0 to %(max)d.", max=MAX_OFFSET)
    if errors:
        raise ValidationError(_("Please check the query parameters."), details=errors)
    return limit, offset


def page_asked(args, *, default: int) -> tuple[int, int, dict]:
    """The window a page's query string asks for (its first page of `default` items when the
    values are not valid), and the `limit` and `offset` to carry in links back to it."""
    try:
        limit, offset = parse_window(args.get("limit"), args.get("offset"), default=default)
    except ValidationError:
        return default, 0, {}
    carried = {"limit": limit} if args.get("limit") else {}
    if offset:
        carried["offset"] = offset
    return limit, offset, carried


def paginate(query: Select, limit: int, offset: int) -> Page:
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = list(db.session.scalars(query.limit(limit).offset(offset)))
    return Page(items=items, total_count=total, limit=limit, offset=offset)


def paginate_list(items: list, limit: int, offset: int) -> Page:
    """The same window over a list already in memory (a short one: a person's tokens)."""
    return Page(
        items=items[offset : offset + limit], total_count=len(items), limit=limit, offset=offset
    )
