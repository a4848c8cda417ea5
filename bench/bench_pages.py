"""A logged-in page (the home page, with its panels) under gunicorn on PostgreSQL, against a
hello-world Flask route served the same way."""

from __future__ import annotations

import re
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

from harness import Result, environment, fresh_database, gunicorn, portal, warm, wrk

EMAIL, PASSWORD = "bench-admin@parcours.test", "bench-password"


def log_in(base: str) -> str:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"email": EMAIL, "password": PASSWORD, "csrf_token": token})
    home = opener.open(f"{base}/login", data.encode()).read().decode()
    if "Bench Admin" not in home:
        raise RuntimeError("login failed: the page is not the logged-in home page")
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def run() -> Result:
    env = environment(fresh_database("parcours_bench_pages"))
    portal(env, "init")
    portal(
        env,
        "create-user",
        "--email",
        EMAIL,
        "--name",
        "Bench Admin",
        "--role",
        "admin",
        "--password",
        PASSWORD,
        "--org",
        "Bench",
    )
    with gunicorn("hello_app:app", env, cwd=__import__("pathlib").Path(__file__).parent) as hello:
        warm(hello)
        baseline = wrk(hello)
    with gunicorn("portal:create_app()", env) as app:
        cookie = log_in(app)
        script = f'wrk.headers["Cookie"] = "{cookie}"\n'
        warm(app + "/", script=script)
        measured = wrk(app + "/", script=script)
    if measured["errors"] or baseline["errors"]:
        raise RuntimeError(f"non-2xx answers: {measured['errors']} / {baseline['errors']}")
    return Result(
        name="logged-in home page (PostgreSQL, gunicorn -w 2)",
        baseline_label="hello-world Flask route",
        baseline=baseline["rps"],
        measured=measured["rps"],
        unit="req/s",
        target="report",
    )
