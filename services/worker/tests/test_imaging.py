"""The image checks on their own, with limits small enough to reach every refusal."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from worker_service.media.imaging import ImageLimits, MediaRejected, normalise

LIMITS = ImageLimits(
    max_bytes=200_000,
    max_pixels=10_000,
    max_width=500,
    max_height=500,
    original_max_side=64,
    thumbnail_side=16,
    quality=80,
)


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (1, 2, 3)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (png(200, 200), "the image has 40000 pixels; the limit is 10000"),
        (png(501, 1), "the image is 501x1 pixels; the limit is 500x500"),
        (b"\0" * 200_001, "the file is 200001 bytes; the limit is 200000"),
    ],
)
def test_limits_are_explicit(data: bytes, reason: str) -> None:
    with pytest.raises(MediaRejected) as refused:
        normalise(data, LIMITS)
    assert refused.value.reason.startswith(reason)


def test_outputs_are_capped_and_described() -> None:
    result = normalise(png(100, 50), LIMITS)
    assert (result.width, result.height) == (64, 32)
    assert result.size == len(result.original)
    assert result.source_format == "PNG"
    with Image.open(io.BytesIO(result.thumbnail)) as thumbnail:
        assert thumbnail.size == (16, 8)
