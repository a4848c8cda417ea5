"""The OpenAPI 3.1 document, built from the registered endpoints and their pydantic models."""

from __future__ import annotations

import re
from functools import cache

from flask import jsonify
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from portal.api.endpoints import OPERATIONS, endpoint
from portal.api.errors import HTTP_CODES
from portal.core.permissions import ROLES

REF = "#/components/schemas/{model}"
_PARAM = re.compile(r"<(?:[a-z_]+:)?([a-z_]+)>")

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": "object"},
            },
        }
    },
}


def _query_parameters(model: type[BaseModel], schema: dict) -> list[dict]:
    params = []
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        params.append({"name": name, "in": "query", "required": name in required, "schema": prop})
    return params


def _operation_id(op) -> str:
    words = re.sub(r"[^a-z0-9]+", "_", _PARAM.sub(r"\1", op.rule).lower()).strip("_")
    return f"{op.method}_{words or 'root'}"


@cache
def build_document() -> dict:
    models = {op.body for op in OPERATIONS if op.body} | {
        op.response for op in OPERATIONS if op.response
    }
    ordered = sorted(models, key=lambda m: m.__name__)
    refs, defs = models_json_schema([(m, "validation") for m in ordered], ref_template=REF)
    components = dict(defs.get("$defs", {}))
    components["Error"] = ERROR_SCHEMA
    paths: dict = {}
    for op in OPERATIONS:
        path = "/api/v1" + _PARAM.sub(r"{\1}", op.rule)
        item: dict = {
            "summary": op.summary,
            "tags": [op.tag],
            "operationId": _operation_id(op),
            "parameters": [
                {
                    "name": name,
                    "in": "path",
                    "required": True,
                    "schema": op.path_schemas[name]()
                    if name in op.path_schemas
                    else {"type": "string"},
                }
                for name in _PARAM.findall(op.rule)
            ],
            "responses": {},
        }
        if op.query is not None:
            item["parameters"] += _query_parameters(
                op.query, op.query.model_json_schema(ref_template=REF)
            )
        if op.body is not None:
            item["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": refs[(op.body, "validation")]}},
            }
        elif op.form_schema is not None:
            item["requestBody"] = {
                "required": True,
                "content": {"multipart/form-data": {"schema": op.form_schema}},
            }
        success: dict = {"description": "OK"}
        if op.response is not None:
            success["content"] = {op.content_type: {"schema": refs[(op.response, "validation")]}}
        elif op.content_type != "application/json":
            success["content"] = {op.content_type: {"schema": {"type": "string"}}}
        item["responses"][str(op.status)] = success
        codes = set(op.errors)
        if not op.public:
            codes |= {401}
            if set(op.roles) != set(ROLES):
                codes |= {403}
        if op.body is not None:
            codes |= {400, 413, 415, 422}
        if op.query is not None:
            codes |= {422}
        for code in sorted(codes):
            item["responses"][str(code)] = {
                "description": HTTP_CODES.get(code, "error"),
                "content": {"application/json": {"schema": {"$ref": REF.format(model="Error")}}},
            }
        if not op.public:
            item["security"] = [{"bearer": []}]
        paths.setdefault(path, {})[op.method] = item
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Parcours API",
            "version": "1.0.0",
            "description": "Training operations: onboarding, scheduling, programs, leads, chat.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


@endpoint("/openapi.json", summary="This document", tag="meta", public=True)
def openapi_document():
    return jsonify(build_document())
