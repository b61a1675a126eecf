"""The fleet console: server-rendered pages (Jinja2) under ``/console``, refreshed live by a small script
that fetches the page again every few seconds and swaps its ``#live`` part. Sign-in is a client token
with the ``console`` scope, kept in an HTTP-only cookie; sending commands needs the ``command`` scope."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from sync.central import commands, queries
from sync.central.alerts import alerts
from sync.central.api import central
from sync.central.auth import Client, client_for
from sync.central.db import Database
from sync.protocol import SyncError

HERE = Path(__file__).parent
COOKIE = "hubsync_console"
templates = Jinja2Templates(directory=HERE / "templates")


def _when(ms: int | None) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S") if ms else "-"


templates.env.filters["when"] = _when
templates.env.filters["short_time"] = lambda iso: (iso or "-")[:19].replace("T", " ")
templates.env.filters["json"] = lambda value: json.dumps(value, ensure_ascii=False, sort_keys=True)


class SignIn(Exception):
    """No valid console sign-in: the handler sends the person to the sign-in page."""


def _person(request: Request, scope: str = "console") -> Client:
    token = request.cookies.get(COOKIE, "")
    client = client_for(central(request).db, token) if token else None
    if client is None or "console" not in client.scopes:
        raise SignIn()
    if scope not in client.scopes:
        raise HTTPException(403, f"{client.name} may not do this: it needs the '{scope}' scope.")
    return client


def _page(request: Request, template: str, client: Client | None, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, template, {"client": client, **context})


def mount_console(app: FastAPI) -> None:
    app.mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static")

    @app.exception_handler(SignIn)
    async def to_sign_in(request: Request, exc: SignIn) -> Response:
        return RedirectResponse("/console/login", status_code=303)

    @app.get("/console/login", response_class=HTMLResponse, include_in_schema=False)
    async def login_form(request: Request) -> Response:
        return _page(request, "login.html", None, error=None)

    @app.post("/console/login", response_class=HTMLResponse, include_in_schema=False)
    async def login(request: Request, token: Annotated[str, Form()]) -> Response:
        client = client_for(central(request).db, token.strip())
        if client is None or "console" not in client.scopes:
            error = "That token is not a console client's: ask for one with the console scope."
            return _page(request, "login.html", None, error=error)
        answer = RedirectResponse("/console", status_code=303)
        # secure behind a TLS proxy (uvicorn takes the scheme from X-Forwarded-Proto); SameSite stops
        # other sites' forms from sending commands with it
        secure = request.url.scheme == "https"
        answer.set_cookie(COOKIE, token.strip(), httponly=True, samesite="strict", secure=secure)
        return answer

    @app.get("/console", response_class=HTMLResponse, include_in_schema=False)
    async def fleet(request: Request) -> Response:
        client = _person(request)
        state = central(request)
        hubs = client.hub_filter()
        stations = await run_in_threadpool(queries.stations, state.db, hubs)
        by_hub: dict[str, list[dict[str, Any]]] = {}
        for s in stations:
            by_hub.setdefault(s["hub"], []).append(s)
        today = {t["hub"]: t for t in await run_in_threadpool(queries.today, state.db, hubs)}
        found = await run_in_threadpool(alerts, state.db, state.limits, hubs)
        return _page(
            request,
            "fleet.html",
            client,
            hubs=sorted(set(by_hub) | set(today)),
            by_hub=by_hub,
            today=today,
            alerts=found,
            limits=state.limits,
        )

    @app.get("/console/search", response_class=HTMLResponse, include_in_schema=False)
    async def search(request: Request, q: str = "") -> Response:
        client = _person(request)
        db = central(request).db
        text = q.strip()
        target, rmas = (await run_in_threadpool(_search, db, text)) if text else (None, [])
        if target:
            return RedirectResponse(target, status_code=303)
        return _page(request, "search.html", client, q=text, rmas=rmas)

    @app.get("/console/returns/{rma}", response_class=HTMLResponse, include_in_schema=False)
    async def return_page(request: Request, rma: str) -> Response:
        client = _person(request)
        story = await run_in_threadpool(queries.return_story, central(request).db, rma)
        if story is None or (story["summary"] and not client.may_read(story["summary"]["hub"])):
            return _page(request, "search.html", client, q=rma, rmas=[])
        return _page(request, "return.html", client, story=story)

    @app.get("/console/units/{lpn}", response_class=HTMLResponse, include_in_schema=False)
    async def unit_page(request: Request, lpn: str) -> Response:
        client = _person(request)
        db = central(request).db
        unit = await run_in_threadpool(queries.unit, db, lpn)
        if unit is None or not client.may_read(unit["hub"]):
            return _page(request, "search.html", client, q=lpn, rmas=[])
        events = await run_in_threadpool(queries.timeline, db, f"lpn:{lpn}")
        return _page(request, "unit.html", client, unit=unit, timeline=events)

    @app.get("/console/stations/{hub}/{station}", response_class=HTMLResponse, include_in_schema=False)
    async def station_page(
        request: Request, hub: str, station: str, sent: str = "", error: str = ""
    ) -> Response:
        client = _person(request)
        if not client.may_read(hub):
            raise HTTPException(403, f"{client.name} may not see hub {hub}.")
        db = central(request).db
        found = [s for s in await run_in_threadpool(queries.stations, db, [hub]) if s["station"] == station]
        return _page(
            request,
            "station.html",
            client,
            hub=hub,
            name=station,
            station=found[0] if found else None,
            sent_list=await run_in_threadpool(commands.sent, db, hub, station),
            answers=await run_in_threadpool(commands.answers, db, hub, station),
            can_command="command" in client.scopes and central(request).publisher is not None,
            notice=sent,
            error=error,
        )

    @app.post("/console/stations/{hub}/{station}/send", include_in_schema=False)
    async def send(
        request: Request,
        hub: str,
        station: str,
        action: Annotated[str, Form()],
        lpn: Annotated[str, Form()] = "",
        settings: Annotated[str, Form()] = "",
    ) -> Response:
        client = _person(request, "command")
        state = central(request)
        back = f"/console/stations/{hub}/{station}"
        if not client.may_read(hub) or state.publisher is None:
            raise HTTPException(403, "This console cannot send to that hub.")
        try:
            kind, body = _downlink(action, lpn, settings)
            doc = await run_in_threadpool(
                commands.send,
                state.db,
                state.publisher,
                kind,
                body,
                hub=hub,
                station=station,
                sent_by=client.name,
            )
        except (SyncError, ValueError) as exc:
            return RedirectResponse(f"{back}?error={_quote(str(exc))}", status_code=303)
        what = f"{kind} {doc['key']} v{doc['version']}"
        return RedirectResponse(f"{back}?sent={_quote(what)}", status_code=303)


def _search(db: Database, text: str) -> tuple[str | None, list[str]]:
    """Where a search goes: a return by RMA, a unit by LPN, the one return of a serial; else the list."""
    if queries.return_story(db, text):
        return f"/console/returns/{text}", []
    if queries.unit(db, text):
        return f"/console/units/{text}", []
    rmas = queries.find_rmas(db, None, text)
    return (f"/console/returns/{rmas[0]}", rmas) if len(rmas) == 1 else (None, rmas)


def _downlink(action: str, lpn: str, settings: str) -> tuple[str, dict[str, Any]]:
    """The downlink kind and body of a console form."""
    if action == "config":
        try:
            parsed = json.loads(settings or "{}")
        except json.JSONDecodeError as exc:
            raise ValueError(f"The settings must be a JSON object: {exc}.") from exc
        if not isinstance(parsed, dict):
            raise ValueError(f"The settings must be a JSON object, found {type(parsed).__name__}.")
        return "config", {"settings": parsed}
    if action == "reprint":
        return "command", {"command": "reprint", **({"lpn": lpn.strip()} if lpn.strip() else {})}
    if action in ("resync", "doctor"):
        return "command", {"command": action}
    raise ValueError(f"Expected reprint, resync, doctor or config, found {action!r}.")


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text[:300])
