"""Label previews for the screen: the PNG is drawn by the station's preview helper process (waited for on a
thread of its own, never the Kivy thread), then shown as a texture."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from kivy.clock import Clock
from kivy.core.image import Image as CoreImage
from kivy.graphics.texture import Texture

from station.core.errors import StationError
from station.runtime.preview_drawer import PreviewDrawer

log = logging.getLogger(__name__)


class Previewer:
    """Renders one preview at a time; a newer request makes an older, unfinished one moot."""

    def __init__(self, drawer: PreviewDrawer) -> None:
        self.drawer = drawer
        drawer.warm()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="label-preview")
        self._wanted: object = None

    def request(self, template: str, data: Mapping[str, Any], show: Callable[[Texture], None]) -> None:
        key = (template, tuple(sorted(data.items())))
        if key == self._wanted:
            return
        self._wanted = key

        def work() -> None:
            try:
                png = self.drawer.draw(template, data)
            except StationError as exc:  # e.g. the carrier's label has no preview
                log.info("No preview for the %s label: %s", template, exc)
                return
            if key == self._wanted:
                Clock.schedule_once(lambda _dt: self._show(key, png, show))

        self._pool.submit(work)

    def _show(self, key: object, png: bytes, show: Callable[[Texture], None]) -> None:
        if key == self._wanted:
            show(CoreImage(io.BytesIO(png), ext="png").texture)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
