"""Audio and video recognised by their first bytes; stored as uploaded, without transcoding.

There is no ffmpeg here, so nothing is decoded: the container's signature decides the type, and
MP4/QuickTime files get their metadata boxes blanked (phones write the recording place there;
Mastodon drops it with `ffmpeg -map_metadata -1`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Detected:
    kind: str  # the MediaAttachment type: "video" or "audio"
    mime: str
    ext: str


HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"mif1", b"msf1", b"avif", b"avis"}
AUDIO_MP4_BRANDS = {b"M4A ", b"M4B "}


def sniff(data: bytes) -> Detected | None:
    """The audio or video type these bytes really are, or None for anything we do not take."""
    head = data[:512]
    if head[4:8] == b"ftyp" and len(head) >= 12:
        brand = head[8:12]
        if brand in HEIF_BRANDS:
            return None  # a still image in an MP4-like box; Pillow does not read it here
        if brand in AUDIO_MP4_BRANDS:
            return Detected("audio", "audio/mp4", "m4a")
        if brand == b"qt  ":
            return Detected("video", "video/quicktime", "mov")
        return Detected("video", "video/mp4", "mp4")
    if head[:4] == b"\x1a\x45\xdf\xa3":  # EBML: Matroska or WebM; only WebM plays in browsers
        return Detected("video", "video/webm", "webm") if b"webm" in head[:64] else None
    if head[:4] == b"OggS":
        if b"OpusHead" in head or b"\x01vorbis" in head or b"\x7fFLAC" in head:
            return Detected("audio", "audio/ogg", "ogg")
        return None
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return Detected("audio", "audio/wav", "wav")
    if head[:4] == b"fLaC":
        return Detected("audio", "audio/flac", "flac")
    if head[:3] == b"ID3" or _mpeg_audio_frame(head):
        return Detected("audio", "audio/mpeg", "mp3")
    return None


def _mpeg_audio_frame(head: bytes) -> bool:
    """An MPEG audio frame header: 11 sync bits, a valid version and a layer (not AAC's 00)."""
    return (len(head) >= 4 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0
            and (head[1] >> 3) & 3 != 1 and (head[1] >> 1) & 3 != 0)


def _boxes(data: bytes | bytearray, start: int, end: int) -> Iterator[tuple[bytes, int, int, int]]:
    """(type, box start, payload start, box end) of each ISO-BMFF box in data[start:end]."""
    pos = start
    while pos + 8 <= end:
        size, header = int.from_bytes(data[pos:pos + 4], "big"), 8
        if size == 1:
            if pos + 16 > end:
                return
            size, header = int.from_bytes(data[pos + 8:pos + 16], "big"), 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            return  # malformed: leave the rest alone
        yield bytes(data[pos + 4:pos + 8]), pos, pos + header, pos + size
        pos += size


METADATA_BOXES = {b"udta", b"meta", b"uuid"}


def strip_mp4_metadata(data: bytes) -> bytes:
    """Blank the user-data and metadata boxes (movie and track level) in place, as `free` boxes.

    Sizes and offsets stay the same, so the sample tables still point at the right bytes.
    """
    out = bytearray(data)

    def blank(start: int, payload: int, end: int) -> None:
        out[start + 4:start + 8] = b"free"
        out[payload:end] = bytes(end - payload)

    for kind, start, payload, end in _boxes(out, 0, len(out)):
        if kind in METADATA_BOXES:
            blank(start, payload, end)
        elif kind == b"moov":
            for child, c_start, c_payload, c_end in _boxes(out, payload, end):
                if child in METADATA_BOXES:
                    blank(c_start, c_payload, c_end)
                elif child == b"trak":
                    for inner, i_start, i_payload, i_end in _boxes(out, c_payload, c_end):
                        if inner in METADATA_BOXES:
                            blank(i_start, i_payload, i_end)
    return bytes(out)
