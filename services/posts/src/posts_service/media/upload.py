"""Reading one image upload from a streamed ``multipart/form-data`` body, with the cheap checks.

Why not FastAPI's ``UploadFile``: Starlette spools the whole part to memory or disk before the
endpoint runs, so an oversize upload would be received in full before we could refuse it. Here the
body is fed chunk by chunk to python-multipart's streaming parser and the file part is kept only up
to ``max_bytes + 1`` bytes: one byte past the limit is proof enough to answer 413.

The checks, cheapest first, all before anything is stored:
1. the request is multipart with a boundary (415), and not declared larger than the limit (413);
2. the ``file`` part declares an accepted image type (415), read before any of its bytes;
3. its size, counted while reading (413), and that it is not empty (422);
4. the first bytes are really JPEG, PNG, WebP or GIF, and the declared type says the same (415).
The worker decodes the image fully later; this only keeps obvious junk out of storage.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from common import BadRequest, PayloadTooLarge, UnsupportedMedia
from common.errors import Unprocessable

if TYPE_CHECKING:  # the callbacks' TypedDict exists for type checkers only
    from python_multipart.multipart import MultipartCallbacks

__all__ = ["ACCEPTED_TYPES", "FIELD", "ImageUpload", "Unprocessable", "read_image_upload", "sniff_image"]

FIELD = "file"
#: Accepted image types and the file extension their stored upload gets.
ACCEPTED_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}
_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg"}
#: Room for the boundaries and part headers around the file in the body's size check.
MULTIPART_OVERHEAD = 64 * 1024
_NAMES = "JPEG, PNG, WebP or GIF"


@dataclass(frozen=True, slots=True)
class ImageUpload:
    data: bytes
    #: What the bytes are (sniffed, and equal to what the client declared).
    content_type: str
    filename: str | None

    @property
    def extension(self) -> str:
        return ACCEPTED_TYPES[self.content_type]

    def fingerprint(self) -> bytes:
        """What identifies the upload for ``Idempotency-Key``: the type, the name and the bytes."""
        return b"\0".join((self.content_type.encode(), (self.filename or "").encode(), self.data))


def sniff_image(head: bytes) -> str | None:
    """The image type the leading bytes (magic numbers) announce, if it is one we accept."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def _declared_type(raw: bytes | None) -> str:
    declared = parse_options_header(raw)[0].decode("latin-1").lower() if raw else ""
    declared = _ALIASES.get(declared, declared)
    if declared not in ACCEPTED_TYPES:
        shown = declared or "no type"
        raise UnsupportedMedia(f"Only {_NAMES} images are accepted; the file was sent as {shown}")
    return declared


@dataclass
class _FilePart:
    """Callbacks for the parser: remembers the ``file`` part's headers and up to max + 1 of its bytes."""

    max_bytes: int
    data: bytearray = field(default_factory=bytearray)
    declared: str = ""
    filename: str | None = None
    seen: bool = False
    reading: bool = False
    _headers: dict[bytes, bytes] = field(default_factory=dict)
    _name: bytes = b""
    _value: bytes = b""

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._end,
        }

    def _begin(self) -> None:
        self._headers = {}

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._name += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._name.lower()] = self._value
        self._name = self._value = b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition"))
        if options.get(b"name") != FIELD.encode():
            return
        if self.seen:
            raise Unprocessable(f"Send one image per request, in one form field named '{FIELD}'")
        self.seen = self.reading = True
        raw_name = options.get(b"filename")
        self.filename = raw_name.decode("utf-8", "replace")[:255] if raw_name else None
        self.declared = _declared_type(self._headers.get(b"content-type"))

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if not self.reading:
            return
        room = self.max_bytes + 1 - len(self.data)
        self.data += data[start : min(end, start + room)]
        if len(self.data) > self.max_bytes:
            raise PayloadTooLarge(f"The image is larger than the limit of {self.max_bytes} bytes")

    def _end(self) -> None:
        self.reading = False


def _boundary(content_type: str | None) -> bytes:
    kind, options = parse_options_header(content_type)
    if kind != b"multipart/form-data":
        raise UnsupportedMedia(f"Send multipart/form-data with the image in a field named '{FIELD}'")
    boundary = options.get(b"boundary")
    if not boundary:
        raise BadRequest("The multipart Content-Type has no boundary")
    return boundary


async def read_image_upload(
    content_type: str | None, content_length: str | None, body: AsyncIterator[bytes], *, max_bytes: int
) -> ImageUpload:
    """The one image in the body, or a 4xx saying what is wrong with it."""
    boundary = _boundary(content_type)
    max_body = max_bytes + MULTIPART_OVERHEAD
    if content_length and content_length.isdigit() and int(content_length) > max_body:
        raise PayloadTooLarge(f"The image is larger than the limit of {max_bytes} bytes")
    part = _FilePart(max_bytes)
    received = 0
    try:
        parser = MultipartParser(boundary, part.callbacks())
        async for chunk in body:
            received += len(chunk)
            if received > max_body:  # other parts than the file count too
                raise PayloadTooLarge(f"The request body is larger than the limit of {max_body} bytes")
            parser.write(chunk)
        parser.finalize()
    except FormParserError:
        raise BadRequest("Malformed multipart body") from None
    return _checked(part)


def _checked(part: _FilePart) -> ImageUpload:
    if not part.seen:
        raise Unprocessable(f"Send the image in a multipart form field named '{FIELD}'")
    if part.reading:
        raise BadRequest("The multipart body ended before the file did")
    if not part.data:
        raise Unprocessable("The file is empty")
    sniffed = sniff_image(bytes(part.data[:16]))
    if sniffed is None:
        raise UnsupportedMedia(f"The file's content is not a {_NAMES} image")
    if sniffed != part.declared:
        raise UnsupportedMedia(f"The file was sent as {part.declared} but its content is {sniffed}")
    return ImageUpload(bytes(part.data), sniffed, part.filename)
