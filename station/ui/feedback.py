"""The good and bad beeps: short sine tones written once as WAV files and played without blocking."""

from __future__ import annotations

import logging
import math
import struct
import wave
from pathlib import Path

from kivy.core.audio import Sound, SoundLoader

log = logging.getLogger(__name__)

_RATE = 22_050


def _tone(path: Path, notes: list[tuple[float, float]]) -> None:
    frames = bytearray()
    for freq, seconds in notes:
        for i in range(int(_RATE * seconds)):
            frames += struct.pack("<h", int(12_000 * math.sin(2 * math.pi * freq * i / _RATE)))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(_RATE)
        out.writeframes(bytes(frames))


class Beeper:
    """Plays a high short beep for a good scan and a low double beep for a refused one; silent if no audio."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._sounds: dict[bool, Sound | None] = {}
        for ok, notes in ((True, [(1760.0, 0.08)]), (False, [(220.0, 0.15), (0.0, 0.05), (220.0, 0.15)])):
            path = folder / ("good.wav" if ok else "bad.wav")
            if not path.exists():
                _tone(path, notes)
            try:
                self._sounds[ok] = SoundLoader.load(str(path))
            except Exception:  # no audio device: the colour still tells
                log.warning("No sound output; scans are confirmed by colour only.")
                self._sounds[ok] = None

    def play(self, ok: bool) -> None:
        sound = self._sounds.get(ok)
        if sound is not None:
            sound.stop()
            sound.play()
