"""Images with Pillow: recognise by content, refuse bombs, re-encode without metadata, thumbnail.

Re-encoding is what strips EXIF (GPS position, camera serial numbers), XMP and comments: only the
pixels, the animation timing and the colour profile are carried over. Orientation from EXIF is
applied to the pixels first, so the picture still stands the right way up without it.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Pillow is imported where images are decoded: a process that never does saves 2 MiB
    from PIL import Image

FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "GIF": ("image/gif", "gif"),
           "WEBP": ("image/webp", "webp")}
PREVIEW_TYPES = {ext: mime for mime, ext in FORMATS.values()}  # a rendition's file extension -> its type
MAX_SIDE = 8192
MAX_PIXELS = 40_000_000
MAX_ANIMATION_PIXELS = 50_000_000  # all frames together: they are held decoded while re-encoding
MAX_FRAMES = 1000
TOO_LARGE = f"The image is too large: at most {MAX_SIDE} pixels on a side and {MAX_PIXELS // 1_000_000} megapixels."
THUMBNAIL_SIDE = 640
JPEG_QUALITY = 85
# Decoding a large image takes hundreds of MB; at most this many at once, whatever the traffic.
_DECODING = threading.BoundedSemaphore(2)


class NotAnImage(Exception):
    """Not one of the image formats we read (it may still be audio or video)."""


class BadImage(ValueError):
    """An image we refuse; the message can be shown to the uploader."""


@dataclass(frozen=True)
class Rendition:
    data: bytes
    mime: str
    ext: str
    width: int
    height: int

    def meta(self) -> dict[str, Any]:
        """Mastodon's MediaAttachment meta for one size ("size" is WxH, not bytes)."""
        return {"width": self.width, "height": self.height, "size": f"{self.width}x{self.height}",
                "aspect": self.width / self.height}


@dataclass(frozen=True)
class Processed:
    original: Rendition
    small: Rendition
    blurhash: str


def _open(data: bytes) -> Image.Image:
    """Read only the header (Pillow is lazy) and refuse what would be too large to decode."""
    from PIL import Image

    try:
        image = Image.open(io.BytesIO(data), formats=list(FORMATS))
    except Image.DecompressionBombError:  # Pillow's own, far higher limit
        raise BadImage(TOO_LARGE) from None
    except Image.UnidentifiedImageError:
        raise NotAnImage() from None
    width, height = image.size
    if width < 1 or height < 1 or width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise BadImage(f"{TOO_LARGE} This one is {width}×{height}.")
    frames = getattr(image, "n_frames", 1) if image.format != "MPO" else 1
    if frames > MAX_FRAMES or frames > 1 and frames * width * height > MAX_ANIMATION_PIXELS:
        raise BadImage("The animation has too many frames for its size.")
    return image


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def _clean(frame: Image.Image, alpha: bool) -> Image.Image:
    """Pixels only: a converted copy with every piece of metadata dropped."""
    out = frame.convert("RGBA" if alpha else "RGB")
    out.info = {}
    return out


def _encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _rendition(data: bytes, fmt: str, size: tuple[int, int]) -> Rendition:
    mime, ext = FORMATS[fmt]
    return Rendition(data, mime, ext, *size)


def _small(image: Image.Image) -> Rendition:
    """A still preview at most THUMBNAIL_SIDE on its long side: JPEG, or PNG when transparent."""
    from PIL import Image

    small = image.copy()
    small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    if small.mode == "RGBA":
        return _rendition(_encode(small, "PNG"), "PNG", small.size)
    return _rendition(_encode(small, "JPEG", quality=JPEG_QUALITY, optimize=True), "JPEG", small.size)


def _blurhash(image: Image.Image) -> str:
    """The blurhash of a 32-pixel downscale: the hash is a blur anyway, and pure Python is slow."""
    import blurhash

    tiny = image.convert("RGB")
    tiny.thumbnail((32, 32))
    width, height = tiny.size
    raw = tiny.tobytes()
    rows = [[raw[(y * width + x) * 3:(y * width + x) * 3 + 3] for x in range(width)] for y in range(height)]
    return blurhash.encode(rows, components_x=4, components_y=4)


def _decode(data: bytes, *, animated: bool = True) -> tuple[list[Image.Image], str, dict[str, Any]]:
    """(frames, format, save options) of a checked image, metadata removed; one frame unless
    `animated` and the image has several."""
    from PIL import ImageOps, ImageSequence

    image = _open(data)
    # Cameras' multi-picture JPEGs (MPO) open as JPEG: we keep the main picture only.
    fmt = "JPEG" if image.format == "MPO" else image.format or ""
    # An RGB profile fits the RGB pixels we write; a CMYK or grey one would not.
    icc = image.info.get("icc_profile") if image.mode in ("RGB", "RGBA") else None
    alpha = _has_alpha(image)
    try:
        if animated and fmt != "JPEG" and getattr(image, "n_frames", 1) > 1:
            # Frames may differ in transparency; RGBA for all keeps them alike.
            frames, durations = [], []
            for frame in ImageSequence.Iterator(image):
                durations.append(frame.info.get("duration", 100))
                frames.append(_clean(frame, True))
            options = {"save_all": True, "append_images": frames[1:], "duration": durations}
            if "loop" in image.info:
                options["loop"] = image.info["loop"]
        else:
            image.load()
            frames, options = [_clean(ImageOps.exif_transpose(image), alpha)], {}
    except Exception:  # Pillow raises many kinds of exception on damaged or hostile input
        raise BadImage("The image could not be decoded; it may be damaged.") from None
    if icc and fmt != "GIF":
        options["icc_profile"] = icc  # colours, not metadata: keep wide-gamut photos looking right
    if fmt == "JPEG":
        options.update(quality=JPEG_QUALITY, optimize=True)
    elif fmt == "WEBP":
        options.update(quality=JPEG_QUALITY)
    return frames, fmt, options


def process(data: bytes) -> Processed:
    """The cleaned original (same format), its preview and blurhash. Blocking: run in a thread."""
    with _DECODING:
        frames, fmt, options = _decode(data)
        first = frames[0]
        original = _rendition(_encode(first, fmt, **options), fmt, first.size)
        return Processed(original, _small(first), _blurhash(first))


def thumbnail(data: bytes) -> tuple[Rendition, str]:
    """A preview and blurhash from an uploaded still (the custom thumbnail of a video or audio)."""
    with _DECODING:
        frames, _, _ = _decode(data, animated=False)
        return _small(frames[0]), _blurhash(frames[0])
