"""Small files that a careless or hostile visitor might upload, made on the fly for the tests."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image


def png_header_only(path: Path, width: int, height: int) -> Path:
    """A PNG whose header declares width x height RGB pixels but whose data is a few bytes: decoding it
    would need width * height * 3 bytes; reading its header costs nothing."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
                     + chunk(b"IEND", b""))
    return path


def truncated_png(path: Path, size: int = 64) -> Path:
    """A real PNG cut in half: the header is fine, the pixel data ends early."""
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (size, size, 3), dtype=np.uint8)).save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def bad_uploads(folder: Path) -> dict[str, Path]:
    """name -> file: empty, text renamed to .png, truncated PNG, and a 20000x20000 PNG header."""
    folder.mkdir(parents=True, exist_ok=True)
    empty = folder / "empty.png"
    empty.write_bytes(b"")
    text = folder / "notes.png"
    text.write_text("this is a text file with a .png name\n" * 10)
    return {
        "empty": empty,
        "text": text,
        "truncated": truncated_png(folder / "cut.png"),
        "huge": png_header_only(folder / "huge.png", 20000, 20000),
    }
