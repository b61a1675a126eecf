"""Label previews drawn in a helper process: same PNG as drawn here, errors carried back, a killed helper
replaced without losing a preview."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Iterator

import pytest

from station.labels import LabelDataError, render_preview
from station.runtime.preview_drawer import PreviewDrawer
from tests.fixtures_printers import SAMPLES, expected_barcodes
from tests.test_labels_roundtrip import decoded


@pytest.fixture
def drawer() -> Iterator[PreviewDrawer]:
    d = PreviewDrawer(203)
    yield d
    d.close()


def helpers() -> list[multiprocessing.Process]:
    return [p for p in multiprocessing.active_children() if p.pid != os.getpid()]


def test_the_helper_draws_what_would_be_drawn_here(drawer: PreviewDrawer) -> None:
    png = drawer.draw("return_lpn", SAMPLES["return_lpn"])
    assert len(helpers()) == 1  # drawn in another process
    assert png == render_preview("return_lpn", SAMPLES["return_lpn"])
    assert decoded(png) == expected_barcodes("return_lpn", SAMPLES["return_lpn"])


def test_a_label_without_a_preview_raises_as_here(drawer: PreviewDrawer) -> None:
    with pytest.raises(LabelDataError, match="no layout"):
        drawer.draw("shipping", SAMPLES["shipping"])


def test_a_killed_helper_loses_no_preview_and_is_replaced(drawer: PreviewDrawer) -> None:
    drawer.warm()
    drawer.draw("restock_bin", SAMPLES["restock_bin"])
    (first,) = helpers()
    os.kill(first.pid, signal.SIGKILL)
    first.join(5)
    png = drawer.draw("return_lpn", SAMPLES["return_lpn"])  # drawn here while the helper is gone
    assert decoded(png) == expected_barcodes("return_lpn", SAMPLES["return_lpn"])
    drawer.draw("work_order", SAMPLES["work_order"])
    assert [p.pid for p in helpers()] != [first.pid] and len(helpers()) == 1
