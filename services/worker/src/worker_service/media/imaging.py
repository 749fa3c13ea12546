"""Turning an uploaded file into safe, normalised images (pure, synchronous: run it in a thread).

The real type is read from the bytes, never from the file name or the client's content type, and
only the decoders of the allowed formats are ever tried. A file is refused before its pixels are
decoded when it declares more pixels or a larger side than allowed (a decompression bomb is a small
file declaring a huge canvas); Pillow's own bomb guard (``DecompressionBombError``, and its warning,
which the test suite turns into an error) counts as a refusal too. The outputs are re-encoded from
pixels alone, so EXIF (GPS position, camera serials), XMP and comments never survive; the EXIF
orientation is applied first so the picture still shows upright.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

__all__ = ["ALLOWED_FORMATS", "ImageLimits", "MediaRejected", "NormalisedImage", "normalise"]

#: Pillow format names; a GIF contributes its first frame.
ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
_CORRUPT = "the image data is corrupt or truncated"


class MediaRejected(Exception):
    """The file can never be processed; ``reason`` is shown to the uploader."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ImageLimits:
    max_bytes: int
    max_pixels: int
    max_width: int
    max_height: int
    original_max_side: int
    thumbnail_side: int
    quality: int


@dataclass(frozen=True, slots=True)
class NormalisedImage:
    """``original`` and ``thumbnail`` are WebP; the numbers describe ``original`` as stored."""

    original: bytes
    thumbnail: bytes
    width: int
    height: int
    size: int
    sha256: str
    source_format: str


def _open(data: bytes, limits: ImageLimits) -> Image.Image:
    if not data:
        raise MediaRejected("the file is empty")
    if len(data) > limits.max_bytes:
        raise MediaRejected(f"the file is {len(data)} bytes; the limit is {limits.max_bytes}")
    try:
        image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
    except UnidentifiedImageError:
        raise MediaRejected(
            "not a supported image: the content is not JPEG, PNG, WebP or GIF (whatever its name says)"
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise MediaRejected("the image declares far too many pixels (decompression bomb)") from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise MediaRejected(_CORRUPT) from None
    return image


def _check_dimensions(image: Image.Image, limits: ImageLimits) -> None:
    width, height = image.size
    if width < 1 or height < 1:
        raise MediaRejected("the image has no pixels")
    if width > limits.max_width or height > limits.max_height:
        raise MediaRejected(
            f"the image is {width}x{height} pixels; the limit is {limits.max_width}x{limits.max_height}"
        )
    if width * height > limits.max_pixels:
        raise MediaRejected(
            f"the image has {width * height} pixels; the limit is {limits.max_pixels} (decompression bomb?)"
        )


def _decode(image: Image.Image) -> Image.Image:
    """First frame, decoded, upright, in RGB or RGBA, with no metadata attached."""
    try:
        image.seek(0)
        image.load()
        upright = ImageOps.exif_transpose(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise MediaRejected("the image declares far too many pixels (decompression bomb)") from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise MediaRejected(_CORRUPT) from None
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or (
        upright.mode == "P" and "transparency" in upright.info
    )
    clean = upright.convert("RGBA" if has_alpha else "RGB")
    clean.info = {}
    return clean


def _webp(image: Image.Image, side: int, quality: int) -> tuple[bytes, tuple[int, int]]:
    scaled = image.copy()
    scaled.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    scaled.save(out, "WEBP", quality=quality, method=4)
    return out.getvalue(), scaled.size


def normalise(data: bytes, limits: ImageLimits) -> NormalisedImage:
    """Check and re-encode an upload; raises ``MediaRejected`` with a reason a user can act on."""
    with _open(data, limits) as image:
        source_format = str(image.format)
        if source_format not in ALLOWED_FORMATS:  # formats= already restricts; belt and braces
            raise MediaRejected(f"{source_format} images are not accepted; use JPEG, PNG, WebP or GIF")
        _check_dimensions(image, limits)
        clean = _decode(image)
    original, (width, height) = _webp(clean, limits.original_max_side, limits.quality)
    thumbnail, _ = _webp(clean, limits.thumbnail_side, limits.quality)
    return NormalisedImage(
        original=original,
        thumbnail=thumbnail,
        width=width,
        height=height,
        size=len(original),
        sha256=hashlib.sha256(original).hexdigest(),
        source_format=source_format,
    )
