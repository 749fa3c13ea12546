"""Media jobs: real image files in, normalised images and a processed/failed event out."""

from __future__ import annotations

import hashlib
import io
import struct
import uuid
import zlib

import pytest
from PIL import ExifTags, Image

from common.events.schemas import MediaUploaded
from worker_service.state import state_of


def jpeg_with_gps(width: int = 800, height: int = 600) -> bytes:
    """A photo as a phone makes it: GPS position, camera make, and 'rotate 90° to view' orientation."""
    image = Image.new("RGB", (width, height), (200, 30, 30))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestCam"
    exif[ExifTags.Base.Orientation] = 6
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 29.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (2.0, 17.0, 40.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A few dozen bytes declaring a canvas of ten billion pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0"))
        + chunk(b"IEND", b"")
    )


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


@pytest.fixture
def upload(app, emit):
    """Store ``data`` as posts would, then publish ``posts.media.uploaded``; returns (media id, event id)."""

    async def _upload(data: bytes, name: str = "photo.jpg", size: int | None = None, store: bool = True):
        media_id = uuid.uuid4()
        key = f"uploads/{media_id}/{name}"
        if store:
            await state_of(app).storage.put(key, data, "image/jpeg")
        event = MediaUploaded(
            media_id=media_id,
            post_id=uuid.uuid4(),
            owner_id=uuid.uuid4(),
            storage_key=key,
            content_type="image/jpeg",
            size=len(data) if size is None else size,
        )
        return event, await emit(event)

    return _upload


async def test_a_photo_comes_out_upright_with_a_thumbnail_and_no_exif(
    client, app, upload, job_for, published
) -> None:
    event, event_id = await upload(jpeg_with_gps())
    job = await job_for(event_id, "succeeded")
    assert job["type"] == "media.process"
    assert job["attempts"] == 1

    (processed,) = await published("worker.media.processed")
    media = str(event.media_id)
    assert processed["media_id"] == media
    assert processed["post_id"] == str(event.post_id)
    assert processed["original_key"] == f"media/{media}/original.webp"
    assert processed["thumbnail_key"] == f"media/{media}/thumbnail.webp"
    # The camera said "rotate to view": the stored picture is already upright (portrait).
    assert (processed["width"], processed["height"]) == (600, 800)
    assert await published("worker.media.started") == [{"media_id": media, "post_id": str(event.post_id)}]

    storage = state_of(app).storage
    original = await storage.get(processed["original_key"])
    assert processed["size"] == len(original)
    assert processed["sha256"] == hashlib.sha256(original).hexdigest()
    thumbnail = await storage.get(processed["thumbnail_key"])
    for data, size in ((original, (600, 800)), (thumbnail, (240, 320))):
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "WEBP"
            assert image.size == size
            assert dict(image.getexif()) == {}
            assert not {"exif", "xmp", "icc_profile"} & set(image.info)
        assert b"TestCam" not in data


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (png_bomb(), "decompression bomb"),
        (b"Dear diary, today I renamed a text file to photo.jpg.\n" * 20, "not a supported image"),
        (encoded(Image.new("L", (4001, 2)), "PNG"), "the limit is 4000x4000"),
        (encoded(Image.new("RGB", (64, 64)), "BMP"), "not a supported image"),
        (jpeg_with_gps()[:400], "corrupt or truncated"),
        (b"", "empty"),
    ],
    ids=["png-bomb", "text-named-jpg", "too-wide", "bmp", "truncated-jpeg", "empty"],
)
async def test_a_bad_upload_fails_with_a_clear_reason(
    client, app, upload, job_for, published, data, reason
) -> None:
    event, event_id = await upload(data)
    job = await job_for(event_id, "failed")
    assert reason in job["last_error"]
    assert job["attempts"] == 1  # retrying cannot help: no retries
    (failed,) = await published("worker.media.failed")
    assert failed == {
        "media_id": str(event.media_id),
        "post_id": str(event.post_id),
        "reason": job["last_error"],
    }
    assert await published("worker.media.processed") == []
    assert not await state_of(app).storage.exists(f"media/{event.media_id}/original.webp")


async def test_a_file_declared_too_large_is_refused_without_reading_it(client, upload, job_for) -> None:
    _, event_id = await upload(b"irrelevant", size=10**9, store=False)
    job = await job_for(event_id, "failed")
    assert "the limit is" in job["last_error"]
    assert job["attempts"] == 1


@pytest.mark.parametrize(
    ("data", "size"),
    [
        (encoded(Image.new("RGBA", (1000, 500), (0, 0, 255, 128)), "PNG"), (1000, 500)),
        (encoded(Image.new("RGB", (3000, 1500)), "WEBP"), (2048, 1024)),
        (
            encoded(
                Image.new("P", (50, 40)), "GIF", save_all=True, append_images=[Image.new("P", (50, 40), 3)]
            ),
            (50, 40),
        ),
    ],
    ids=["png-alpha", "webp-large", "gif-animated"],
)
async def test_png_webp_and_gif_are_accepted(client, upload, job_for, published, data, size) -> None:
    _, event_id = await upload(data, name="picture.bin")
    await job_for(event_id, "succeeded")
    (processed,) = await published("worker.media.processed")
    assert (processed["width"], processed["height"]) == size


async def test_a_missing_original_is_retried_then_fails_and_retry_by_api_finishes_it(
    client, app, upload, job_for, published, tokens
) -> None:
    data = jpeg_with_gps(80, 60)
    event, event_id = await upload(data, store=False)
    failed = await job_for(event_id, "failed")
    assert failed["attempts"] == 3
    assert "not in storage" in failed["last_error"]
    (report,) = await published("worker.media.failed")
    assert report["reason"] == failed["last_error"]

    _, admin = tokens.user(role="admin")
    listed = (await client.get("/internal/jobs", params={"status": "failed"}, headers=admin)).json()
    assert [j["id"] for j in listed["items"]] == [str(failed["id"])]

    await state_of(app).storage.put(event.storage_key, data, "image/jpeg")
    assert (await client.post(f"/internal/jobs/{failed['id']}/retry", headers=admin)).status_code == 200
    await job_for(event_id, "succeeded")
    assert len(await published("worker.media.processed")) == 1
