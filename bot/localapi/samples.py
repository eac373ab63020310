"""Canned files a person can send from the web chat without picking one from disk: a photo, a
receipt, a voice note and a sticker, drawn with the standard library."""

from __future__ import annotations

import functools
import io
import math
import struct
import wave
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Pixel = tuple[int, int, int]


def png(width: int, height: int, pixel: Callable[[int, int], Pixel]) -> bytes:
    """An RGB PNG of ``pixel(x, y)``."""
    rows = b"".join(
        b"\x00" + bytes(c for x in range(width) for c in pixel(x, y)) for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def _mug(x: int, y: int) -> Pixel:
    """A mug on a table with a crack down its side: what a customer shows support."""
    if y > 250:
        return (196, 164, 132)
    inside = 150 <= x <= 300 and 80 <= y <= 250
    handle = 300 < x <= 350 and 120 <= y <= 210 and not (310 < x < 340 and 135 < y < 195)
    if inside or handle:
        if abs((x - 200) - (y - 80) * 0.35) < 3 and y < 220:
            return (60, 60, 70)
        return (70, 130, 180)
    return (236, 240, 245)


def _sad_face(x: int, y: int) -> Pixel:
    dx, dy = x - 256, y - 256
    if dx * dx + dy * dy > 230 * 230:
        return (255, 255, 255)
    for ex in (-80, 80):
        if (dx - ex) ** 2 + (dy + 60) ** 2 < 28 * 28:
            return (60, 40, 20)
    if 60 < dy < 130 and abs(dx) < 130 and abs(dx * dx / 130 + 60 - dy) < 14:
        return (60, 40, 20)
    return (255, 205, 60)


def _tone(seconds: float = 1.5, frequency: float = 440.0, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        count = int(rate * seconds)
        # A fade-out over the last tenth of a second keeps the end from clicking.
        samples = (
            int(8000 * math.sin(2 * math.pi * frequency * i / rate) * min(1, (count - i) / 800))
            for i in range(count)
        )
        out.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return buffer.getvalue()


def _receipt() -> bytes:
    """A one-page PDF saying what an order receipt says."""
    text = (
        b"BT /F1 18 Tf 60 760 Td (Order 1042 - receipt) Tj 0 -28 Td (Kettle  1 x 39.00 EUR) Tj ET"
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


@dataclass(frozen=True)
class Sample:
    name: str
    kind: str
    label: str
    content_type: str
    make: Callable[[], bytes]
    details: dict[str, Any] = field(default_factory=dict)

    @functools.cached_property
    def content(self) -> bytes:
        return self.make()


SAMPLES = {
    sample.name: sample
    for sample in (
        Sample(
            "photo",
            "photo",
            "Photo of a cracked mug",
            "image/png",
            lambda: png(480, 320, _mug),
            {"width": 480, "height": 320},
        ),
        Sample(
            "document",
            "document",
            "Receipt (PDF)",
            "application/pdf",
            _receipt,
            {"file_name": "receipt-1042.pdf"},
        ),
        Sample(
            "voice",
            "voice",
            "Voice note, 2 s",
            "audio/wav",
            lambda: _tone(2.0),
            {"duration": 2},
        ),
        Sample(
            "sticker",
            "sticker",
            "Sad face sticker",
            "image/png",
            lambda: png(512, 512, _sad_face),
            {"width": 512, "height": 512, "emoji": "🙁", "set_name": "LocalDemo"},
        ),
    )
}
