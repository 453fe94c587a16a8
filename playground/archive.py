"""Reading a zip a visitor gave: the directory is checked first, then each member is read through a
bounded stream.

A zip's central directory declares each member's size, and ``zipfile`` applies it only after inflating:
``ZipFile.read`` asks the decompressor for up to 2 GB in one call and then cuts the result to the
declared size, so an entry that declares 4 KB and inflates to 4 GB costs gigabytes before its
CRC check fails. Here a member is read in chunks of at most :data:`CHUNK` bytes, and refused as soon as
one byte more than it declares comes out; a member never costs more than its declared size plus one
chunk, whatever its headers claim.

Each caller declares what it accepts once, as a :class:`ZipLimits`, and opens the zip with
:class:`SafeZip`, which checks the directory (entry count, names, encryption, compression method, the
declared sizes and compression ratios) before a byte is inflated. Every failure is a
:class:`~playground.errors.UserError` that names the uploaded file by its base name; member names are
the visitor's text, quoted and cut short. Messages are plain text: the app escapes them where it shows
them (``playground.ui.common.toast``), so a name such as ``<a href=…>.png`` shows as text.
"""

from __future__ import annotations

import copy
import stat
import threading
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from playground.errors import UserError
from playground.safe_input import cut, megabytes, quote

CHUNK = 1 << 20  # the most a single read of a member inflates
# zipfile inflates bzip2 and LZMA without a cap per call (4 KB of bzip2 can become gigabytes), so a
# chunked read bounds only these two.
READABLE_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
METHOD_NAMES = {9: "deflate64", zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "LZMA", 93: "Zstandard",
                99: "AES"}
ENCRYPTED_FLAGS = 0x1 | 0x40  # traditional and strong encryption


@dataclass(frozen=True)
class ZipLimits:
    """What one caller accepts from a visitor's zip. Sizes are declared (uncompressed) sizes, which the
    bounded stream holds every member to."""

    entries: int  # members in the directory, folders included
    total_bytes: int  # all members together
    what: str  # what the zip should be, for messages ("a saved 2-D run")
    member_bytes: int | None = None  # any one member; None: only the total bounds it
    ratio: float | None = None  # uncompressed / compressed, per member; None: not checked


def shown(name: str) -> str:
    """A visitor's name (a member's, an upload's) for a message: quoted and cut short."""
    return quote(name)


class SafeZip:
    """A visitor's zip, its directory checked on opening; members are read only through bounded streams.

    Whole-member reads (:meth:`read`) take a lock, so threads may share one SafeZip.
    """

    def __init__(self, path: str | Path, limits: ZipLimits):
        self.name = cut(Path(path).name)
        self.limits = limits
        try:
            self._zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise UserError(f"{self.name} is not a readable zip archive ({_reason(exc)}).") from None
        self._lock = threading.Lock()
        try:
            self.infos = self._check_directory()
        except UserError:
            self._zf.close()
            raise

    def _check_directory(self) -> list[zipfile.ZipInfo]:
        infos, lim = self._zf.infolist(), self.limits
        if len(infos) > lim.entries:
            raise UserError(f"{self.name} holds {len(infos):,} entries; at most {lim.entries:,} are read.")
        for info in infos:
            name, entry = info.filename, f"{self.name}: entry {shown(info.filename)}"
            p = PurePosixPath(name.replace("\\", "/"))
            if p.is_absolute() or ".." in p.parts or (len(name) > 1 and name[1] == ":"):
                raise UserError(f"{self.name} contains an unsafe path ({shown(name)}); refusing the zip.")
            if stat.S_ISLNK(info.external_attr >> 16):
                raise UserError(f"{self.name} contains a symbolic link ({shown(name)}); refusing the zip.")
            if info.is_dir():
                continue
            if info.flag_bits & ENCRYPTED_FLAGS:
                raise UserError(f"{entry} is encrypted; upload a zip made without a password.")
            if info.compress_type not in READABLE_METHODS:
                method = METHOD_NAMES.get(info.compress_type, f"method {info.compress_type}")
                raise UserError(f"{entry} uses {method} compression; only zips made with the usual deflate "
                                "compression (or none) are read.")
            if lim.member_bytes is not None and info.file_size > lim.member_bytes:
                raise UserError(f"{entry} unpacks to {megabytes(info.file_size)}; {lim.what} has no file "
                                f"over {megabytes(lim.member_bytes)}.")
            ratio = info.file_size / max(info.compress_size, 1)
            if lim.ratio is not None and ratio > lim.ratio:
                raise UserError(f"{entry} is compressed {ratio:.0f}:1, which looks like a zip bomb; "
                                "refusing the zip.")
        total = sum(i.file_size for i in infos)
        if total > lim.total_bytes:
            raise UserError(f"{self.name} unpacks to {megabytes(total)}; {lim.what} needs at most "
                            f"{megabytes(lim.total_bytes)}.")
        return infos

    @property
    def files(self) -> list[zipfile.ZipInfo]:
        """The members that are files (not folders), in directory order."""
        return [i for i in self.infos if not i.is_dir()]

    def info(self, name: str) -> zipfile.ZipInfo | None:
        """The checked entry called ``name``, or None."""
        try:
            return self._zf.getinfo(name)
        except KeyError:
            return None

    def open(self, info: zipfile.ZipInfo) -> "BoundedMember":
        """A read-only file of the member's bytes (see :class:`BoundedMember`)."""
        return BoundedMember(self, info)

    def read(self, info: zipfile.ZipInfo) -> bytes:
        """The member's bytes, read in chunks; a UserError if it holds other than what it declares."""
        with self._lock, self.open(info) as f:
            return f.read()

    def close(self) -> None:
        self._zf.close()

    def __enter__(self) -> "SafeZip":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class BoundedMember:
    """One member as a read-only file that gives at most its declared size, inflating at most
    :data:`CHUNK` bytes per step; having given them all, it checks that nothing follows (and so the CRC).

    ``zipfile`` is told the member is a chunk longer than declared, and only one byte past the
    declaration is ever asked for (it inflates at most 4 KB for it): a member that goes on shows itself
    by that byte. Told the declared size, ``zipfile`` would cut such a member there silently; told one
    byte more, it would end on that byte and fail its CRC, a vaguer message.
    """

    def __init__(self, archive: SafeZip, info: zipfile.ZipInfo):
        self._archive, self._info = archive, info
        self._pos = 0
        probe = copy.copy(info)
        probe.file_size = info.file_size + CHUNK
        self._raw = self._guard(lambda: archive._zf.open(probe))

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all that is left when negative), never past the declared size."""
        left = self._info.file_size - self._pos
        want = left if size is None or size < 0 else min(size, left)
        parts = []
        while want > 0:
            part = self._guard(lambda: self._raw.read(min(want, CHUNK)))
            if not part:
                raise UserError(f"{self._entry()} holds fewer bytes than the {self._info.file_size:,} "
                                "its header declares; the zip is damaged.")
            parts.append(part)
            self._pos += len(part)
            want -= len(part)
        if self._pos == self._info.file_size and size != 0:
            self._check_end()
        return b"".join(parts)

    def _check_end(self) -> None:
        if self._guard(lambda: self._raw.read(1)):  # reaching the end also checks the CRC
            raise UserError(f"{self._entry()} inflates to more than the {self._info.file_size:,} bytes "
                            "its header declares; the zip is damaged or built to exhaust memory, so it was "
                            "refused.")

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> "BoundedMember":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _entry(self) -> str:
        return f"{self._archive.name}: entry {shown(self._info.filename)}"

    def _guard(self, step):
        """``step()``, with the errors of a damaged zip turned into a UserError naming the member."""
        try:
            return step()
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
            raise UserError(f"{self._entry()} could not be read ({_reason(exc)}).") from None


def _reason(exc: Exception) -> str:
    """A short cause for a damaged zip, without server paths."""
    if isinstance(exc, EOFError):
        return "the file ends early: it is truncated"
    if isinstance(exc, zlib.error):
        return "its compressed data is corrupt"
    if isinstance(exc, RuntimeError) and "encrypted" in str(exc):
        return "it is encrypted"
    if isinstance(exc, NotImplementedError):
        return f"it uses a zip feature this app does not read: {cut(str(exc))}"
    if isinstance(exc, OSError):
        return exc.strerror or "the file could not be read"  # str(exc) may hold a server path
    return cut(str(exc) or type(exc).__name__)


__all__ = ["CHUNK", "ZipLimits", "SafeZip", "BoundedMember", "shown"]
