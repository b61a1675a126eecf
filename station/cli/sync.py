"""``station sync ...``: the sync state for people (online or not, backlog size and age, last ack)."""

from __future__ import annotations

import time

import click

from station.cli.root import pass_config
from station.cli.terminal import clean, json_line
from station.runtime.config import Config


def _ago(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"


@click.group()
def sync() -> None:
    """Sync with the OMS over MQTT."""


@sync.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object, for scripts and the UI.")
@pass_config
def status(config: Config, as_json: bool) -> None:
    """Online or offline, how many events wait for the OMS and for how long, the last ack."""
    from station.runtime.sync_link import read_status

    state = read_status(config.db_path)
    state["configured"] = config.broker is not None
    if as_json:
        click.echo(json_line(state))
        return
    now = time.time()
    if not state["configured"]:
        click.echo(
            "Sync: no broker configured ([broker] url in the station config); events wait in the outbox."
        )
    else:
        line = f"Sync: {state['state']}"
        if state["error"]:
            line += f" ({state['error']})"
        if state["next_retry_at"] is not None:
            line += f", next try in {max(0.0, state['next_retry_at'] - now):.0f} s"
        click.echo(clean(f"{line}, broker {state['broker'] or (config.broker and config.broker.url)}"))
    age = state["oldest_unacked_age_s"]
    backlog = f"{state['backlog']} events waiting" + (f", oldest {_ago(age)}" if age is not None else "")
    click.echo(f"Backlog: {backlog}")
    last_ack = state["last_ack_at"]
    click.echo(
        f"Last ack: seq {state['acked_seq']} of {state['last_seq']}, "
        + _ago(None if last_ack is None else now - last_ack)
    )
