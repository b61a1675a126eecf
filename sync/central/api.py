"""The HTTP API for the OMS (``/v1``, JSON, OpenAPI at ``/openapi.json``) and the app that also serves
the fleet console. Every call needs ``Authorization: Bearer TOKEN`` of a client with the ``read`` scope;
a client reads only its own hubs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sync.central import models, queries, webhooks
from sync.central.alerts import Limits
from sync.central.auth import Client, client_for
from sync.central.commands import Publisher
from sync.central.db import Database
from sync.protocol import SyncError

_bearer = HTTPBearer(auto_error=False)


@dataclass
class Central:
    """What the web app works on."""

    db: Database
    limits: Limits = field(default_factory=Limits)
    publisher: Publisher | None = None


def central(request: Request) -> Central:
    state: Central = request.app.state.central
    return state


def _client(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Client:
    token = credentials.credentials if credentials else ""
    found = client_for(central(request).db, token) if token else None
    if found is None:
        raise HTTPException(
            401,
            "Expected 'Authorization: Bearer TOKEN' with a client's token.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return found


def scoped(scope: str) -> Callable[..., Client]:
    def check(client: Annotated[Client, Depends(_client)]) -> Client:
        if scope not in client.scopes:
            raise HTTPException(403, f"Client {client.name} lacks the '{scope}' scope this needs.")
        return client

    return check


Reader = Annotated[Client, Depends(scoped("read"))]
Hooker = Annotated[Client, Depends(scoped("webhooks"))]


def _hub(client: Client, hub: str) -> None:
    if not client.may_read(hub):
        raise HTTPException(403, f"Client {client.name} may not read hub {hub}.")


def _not_found(what: str) -> HTTPException:
    return HTTPException(404, f"No {what} is known at the centre (yet): check it, or ask again later.")


def create_app(state: Central) -> FastAPI:
    app = FastAPI(
        title="Hub station central API",
        version="1",
        description="Hub stock, returns' stories, units, stations and the event feed, for the OMS.",
    )
    app.state.central = state
    db = state.db

    @app.get("/v1/hubs/{hub}/stock", response_model=models.Stock, tags=["stock"])
    async def hub_stock(hub: str, client: Reader, gtin: str | None = None) -> Any:
        """What the hub holds, by GTIN: available to sell, reserved for packing, in repair, received."""
        _hub(client, hub)
        return {"hub": hub, "lines": await run_in_threadpool(queries.stock, db, hub, gtin)}

    @app.get("/v1/hubs/{hub}/availability/{gtin}", response_model=models.Availability, tags=["stock"])
    async def availability(hub: str, gtin: str, client: Reader) -> Any:
        """Counts only, for allocating an order to this hub."""
        _hub(client, hub)
        lines = await run_in_threadpool(queries.stock, db, hub, gtin)
        counts = {k: lines[0][k] if lines else 0 for k in ("available", "reserved", "in_repair", "received")}
        return {"hub": hub, "gtin": gtin, **counts}

    @app.get("/v1/returns/{rma}", response_model=models.ReturnStory, tags=["returns"])
    async def return_by_rma(rma: str, client: Reader) -> Any:
        """A return's summary (refund eligible and cap), its units and its timeline across stations."""
        story = await run_in_threadpool(queries.return_story, db, rma)
        if story is None or (story["summary"] and not client.may_read(story["summary"]["hub"])):
            raise _not_found(f"return {rma}")
        return story

    @app.get("/v1/returns", response_model=list[models.ReturnStory], tags=["returns"])
    async def find_returns(client: Reader, lpn: str | None = None, serial: str | None = None) -> Any:
        """The returns a unit came in with, by its LPN or serial."""
        if not lpn and not serial:
            raise HTTPException(422, "Expected ?lpn= or ?serial=, found neither.")
        rmas = await run_in_threadpool(queries.find_rmas, db, lpn, serial)
        stories = [await run_in_threadpool(queries.return_story, db, rma) for rma in rmas]
        return [s for s in stories if s and (not s["summary"] or client.may_read(s["summary"]["hub"]))]

    @app.get("/v1/units/{lpn}", response_model=models.Unit, tags=["units"])
    async def unit(lpn: str, client: Reader) -> Any:
        found = await run_in_threadpool(queries.unit, db, lpn)
        if found is None or not client.may_read(found["hub"]):
            raise _not_found(f"unit {lpn}")
        return found

    @app.get("/v1/work-orders/{number}", response_model=models.WorkOrder, tags=["units"])
    async def work_order(number: str, client: Reader) -> Any:
        """A repair work order: diagnoses, outcome, new grade and disposition, its events."""
        found = await run_in_threadpool(queries.work_order, db, number)
        if found is None or not client.may_read(found["hub"]):
            raise _not_found(f"work order {number}")
        return found

    @app.get("/v1/stations", response_model=list[models.Station], tags=["stations"])
    async def stations(client: Reader, hub: str | None = None) -> Any:
        """Every station of the client's hubs: presence, backlog, printer, scanners, versions."""
        hubs = client.hub_filter()
        if hub:
            _hub(client, hub)
            hubs = [hub]
        return await run_in_threadpool(queries.stations, db, hubs)

    @app.get("/v1/events", response_model=models.FeedPage, tags=["feed"])
    async def events(
        client: Reader,
        after: Annotated[int, Query(ge=0, description="the last position you have")] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        type: Annotated[list[str] | None, Query()] = None,
    ) -> Any:
        """The event feed in the order the centre projected it; pull with ?after=NEXT."""
        rows = await run_in_threadpool(queries.feed, db, after, limit, client.hub_filter(), type)
        return {"events": rows, "next": rows[-1]["position"] if rows else after}

    @app.post("/v1/webhooks", response_model=models.Webhook, status_code=201, tags=["webhooks"])
    async def add_webhook(body: models.WebhookIn, client: Hooker) -> Any:
        """Register an endpoint; the answer holds its signing secret (shown once)."""
        try:
            return await run_in_threadpool(
                webhooks.register,
                db,
                client,
                body.url,
                body.types,
                body.hubs,
                dead_after_s=body.dead_after_s,
                from_position=body.from_position,
            )
        except SyncError as exc:
            raise HTTPException(422, str(exc)) from exc

    @app.get("/v1/webhooks", response_model=list[models.Webhook], tags=["webhooks"])
    async def list_webhooks(client: Hooker) -> Any:
        return await run_in_threadpool(webhooks.endpoints, db, client.name)

    def _own(client: Client, endpoint: int) -> None:
        if not any(e["id"] == endpoint for e in webhooks.endpoints(db, client.name)):
            raise _not_found(f"webhook {endpoint} of client {client.name}")

    @app.post("/v1/webhooks/{endpoint}/replay", status_code=204, tags=["webhooks"])
    async def replay(endpoint: int, body: models.Replay, client: Hooker) -> None:
        """Send every matching event from a feed position on again."""
        _own(client, endpoint)
        await run_in_threadpool(webhooks.replay, db, endpoint, body.from_position)

    @app.get("/v1/webhooks/{endpoint}/deliveries", response_model=list[models.Delivery], tags=["webhooks"])
    async def list_deliveries(endpoint: int, client: Hooker, status: str | None = None) -> Any:
        _own(client, endpoint)
        return await run_in_threadpool(webhooks.deliveries, db, endpoint, status)

    return app


def openapi_document() -> str:
    """The OpenAPI document as committed in ``sync/central/openapi.json`` (stable JSON)."""
    import json

    doc = create_app(Central(db=None)).openapi()  # type: ignore[arg-type]  # routes only, no database
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"
