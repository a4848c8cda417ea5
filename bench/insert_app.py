"""The baseline for writes: one route that inserts one row and commits, nothing else.
The table is created by the benchmark before the server starts."""

import os

from flask import Flask
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert

engine = create_engine(os.environ["DATABASE_URL"], pool_size=4)
metadata = MetaData()
rows = Table(
    "bench_rows", metadata, Column("id", Integer, primary_key=True), Column("value", String(40))
)
app = Flask(__name__)


@app.route("/rows/<value>", methods=["PUT"])
def put_row(value: str):
    with engine.begin() as connection:
        connection.execute(insert(rows).values(value=value[:40]))
    return {"success": True}
