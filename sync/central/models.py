"""The API's response shapes (they make the OpenAPI document say what each answer holds)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Unit(BaseModel):
    lpn: str
    hub: str
    gtin: str | None
    serial: str | None
    status: str = Field(description="stocked (available), reserved (in a pack), in_repair, received, packed")
    bin: str | None
    grade: str | None
    disposition: str | None
    category: str | None
    rma: str | None
    order_number: str | None
    work_order: str | None


class StockLine(BaseModel):
    gtin: str | None
    available: int = Field(description="units stocked in a bin: sellable")
    reserved: int = Field(description="units scanned into an order being packed")
    in_repair: int
    received: int = Field(description="units taken in and not yet put away")
    units: list[Unit]


class Stock(BaseModel):
    hub: str
    lines: list[StockLine]


class Availability(BaseModel):
    hub: str
    gtin: str
    available: int
    reserved: int
    in_repair: int
    received: int


class TimelineEntry(BaseModel):
    pos: int = Field(description="the event's position in the feed")
    hub: str
    station: str
    type: str
    subject: str | None
    time: str
    operator: str | None
    data: dict[str, Any]


class ReturnSummary(BaseModel):
    rma: str
    hub: str
    station: str
    status: str
    order_number: str | None
    blind: int | None
    received_time: str | None
    completed_time: str | None
    units: int | None
    missing: int | None
    flagged: int | None
    refund_amount: float | None
    refund_cap: float | None
    refund_capped: int | None
    currency: str | None
    refund_time: str | None


class ReturnStory(BaseModel):
    rma: str
    summary: ReturnSummary | None
    units: list[Unit]
    timeline: list[TimelineEntry]


class WorkOrder(BaseModel):
    number: str
    hub: str
    station: str
    lpn: str | None
    status: str = Field(description="open or closed")
    opened_time: str | None
    closed_time: str | None
    outcome: str | None
    grade: str | None
    disposition: str | None
    diagnoses: list[str]
    labour_minutes: int | None
    timeline: list[TimelineEntry]


class Station(BaseModel):
    hub: str
    station: str
    source: str | None
    last_event_time: str | None
    last_seq: int | None
    presence: str | None = Field(description="online or offline, from the retained state topic")
    presence_since: str | None
    presence_reason: str | None
    version: str | None
    backlog: int | None = Field(description="events the station had at its last report that the centre lacks")
    reported_seq: int | None
    oldest_unacked_age_s: float | None
    printer: str | None
    printer_since: int | None
    scanners: dict[str, Any]
    config_version: int | None
    health_at: int | None
    sink_contiguous: int | None
    sink_highest: int | None


class FeedEntry(BaseModel):
    position: int
    event: dict[str, Any] = Field(description="the CloudEvent as the station sent it")


class FeedPage(BaseModel):
    events: list[FeedEntry]
    next: int = Field(description="pass as ?after= for the next page")


class WebhookIn(BaseModel):
    url: str
    types: list[str] = Field(description="event types; 'return.*' for a family, '*' for all")
    hubs: list[str] = Field(default_factory=list, description="default: every hub this client may read")
    dead_after_s: float = Field(86_400.0, gt=0)
    from_position: int | None = Field(None, ge=1, description="default: events projected from now on")


class Webhook(BaseModel):
    id: int
    url: str
    types: list[str]
    hubs: list[str]
    cursor: int
    dead_after_s: float
    secret: str | None = Field(None, description="shown once, at registration")
    deliveries: dict[str, int] = Field(default_factory=dict)


class Replay(BaseModel):
    from_position: int = Field(ge=1)


class Delivery(BaseModel):
    id: int
    pos: int
    type: str
    subject: str
    status: str
    attempts: int
    created_at: int
    delivered_at: int | None
    last_error: str | None
