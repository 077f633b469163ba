"""Fingerprints of a photo for the reuse look: global hashes to find candidates, local features to confirm.

Computed once on the oriented working copy (`Photo.working`), after trimming uniform borders
(letterboxing, the black or white bars of a phone screenshot) — or, in a screenshot of an app, on the
picture found inside the screen (`imaging/screen_picture.py`) — so that a screenshot of a photo and
the photo itself hash the same picture. Everything is measured on one grey copy of the trimmed picture
(`FEATURE_SIZE`) and smaller copies of it, each made once: the hashes see 64x64 and 32x32 anyway.

- **Global hashes**, two complementary ones: PDQ (256 bits, Meta's; robust to recompression,
  resizing, small crops) and pHash (64 bits: the 8x8 lowest DCT coefficients of a 32x32 area-averaged
  grey copy against their median, as imagehash's but resized by OpenCV; a second opinion with other
  failure modes). Both are given for the eight dihedral variants of the picture (rotations by 90°
  and mirrors), in PDQ's order (`DIHEDRAL`), so a mirrored or rotated copy matches the stored
  original: the query's variant *i* is the hash of ``DIHEDRAL[i](query)``. The variants come from
  ONE transform each: turning or mirroring a picture transposes its DCT coefficients or flips the
  sign of the odd ones (`_DCT_TURNS`), so PDQ's DCT (`pdqhash.compute_float`, bit-identical to
  `pdqhash.compute` once thresholded at the median) and pHash's are computed once.
- **Crop codes**: a 5–15 % crop moves every global hash of a photo out of range, so a photo that
  goes into the index is also hashed at a few crops of itself (`CROPS`); a cropped copy lands near
  one of them.
- **Local features** (ORB keypoints) confirm a candidate with a RANSAC homography: a copy, however
  cropped, scaled, tilted or screenshotted, maps onto the original with many inliers spread over the
  picture, while two photos of one product on a shelf, or two shots of one desk taken seconds apart,
  agree only on the product, or not within a pixel or two. A product found on a plain backdrop
  (`Fingerprint.product`) has its box's keypoints besides the frame's, tried when the frame's do
  not confirm: in a screenshot cut square around a white packshot the frame is hashed, the product
  is a quarter of it.

This module measures; `checks/reuse.py` decides what a match means for a claim.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import cv2
import faiss
import numpy as np
import pdqhash
from PIL import Image

from evidence_check.imaging import screen_picture

# --- tunables (measured by scripts/bench_reuse.py over ../shared/corpora) ---
MAX_BANDS = 4  # bands of a screen's chrome trimmed one after another (status bar, app bar, page, ...)
SEAM = 2  # pixels of blend between a trimmed band and what it bordered, dropped with the band
FEATURE_SIZE = 640  # longest side for ORB, small pictures scaled up to it too
# The hashes see 64x64: they are taken from a copy half FEATURE_SIZE (an exact, cheap halving).
BASE_SIZE = FEATURE_SIZE // 2
THUMB_SIZE = 128  # longest side of the grey thumbnail kept to compare aligned pixels
# The far rule's colour test (`Verification.colour_apart`): a copy keeps its colours place for place
# through re-encoding, resizing, light changes and a filter's tint, while another flavour of one
# carton template (its juice, fruit and name in another colour) agrees with it in grey over most of
# the carton. Kept as Lab a*b* at COLOUR_SIZE (3.5 kB a 4:3 row, 4.6 kB at most; chroma is
# low-resolution in any JPEG anyway); a pixel whose chroma stays COLOUR_APART from the colour map
# fitted over the overlap differs in colour; below COLOURLESS spread a picture (black and white, a
# sepia filter) says nothing about colour.
COLOUR_SIZE = 48
COLOUR_APART = 12.0
COLOURLESS = 4.0
MAX_FEATURES = 500
# ORB is most of a recorded photo's cost. 6 levels 1.3 apart span the same scales as OpenCV's 8 levels
# 1.2 apart (3.7x against 3.6x) with a quarter less pyramid (docs/measurements/relevance-features.md).
ORB_FAST_THRESHOLD = 12
ORB_LEVELS = 6
ORB_SCALE = 1.3
# OpenCV's ORB finds no keypoint within its edge threshold (31 px) of the border, so a picture whose
# short side at FEATURE_SIZE is no more than twice that has none; one a pixel thin (a 3000 x 1 upload)
# fails inside ORB's pyramid instead of finding none.
ORB_EDGE = 31
# Crops hashed for the index: (kept share of each side, x anchor, y anchor), anchors 0 left/top .. 1.
# A 90 % crop on a 3x3 grid of anchors puts every 5-15 % crop of a picture within 10 pHash bits of
# one of them (136 random crops of 34 corpus photos); a 5-anchor grid at 88 % left 12 % beyond 12 bits.
# A tenth cut off every side (keeping 80 %) lies 12-16 pHash bits from the 90 % crops, at or past
# the lookup radius (14): the middle 80 % is hashed as well (docs/measurements/reuse.md).
CROP_KEEP = 0.9
MIDDLE_KEEP = 0.8
CROPS: tuple[tuple[float, float, float], ...] = (
    *((CROP_KEEP, x, y) for y in (0.0, 0.5, 1.0) for x in (0.0, 0.5, 1.0)),
    (MIDDLE_KEEP, 0.5, 0.5),
)
# Verification: Lowe's ratio, RANSAC reprojection error in pixels at FEATURE_SIZE.
RATIO = 0.8
RANSAC_PIXELS = 4.0


def _t0(a: np.ndarray) -> np.ndarray:
    return a


# The eight dihedral transforms in the order of `pdqhash.compute_dihedral` (checked in tests).
DIHEDRAL: tuple[Callable[[np.ndarray], np.ndarray], ...] = (
    _t0,
    lambda a: np.rot90(a, 1),
    lambda a: np.rot90(a, 2),
    lambda a: np.rot90(a, 3),
    lambda a: a[::-1],
    lambda a: a[:, ::-1],
    lambda a: a.swapaxes(0, 1),
    lambda a: np.rot90(a, 2).swapaxes(0, 1),
)
DIHEDRAL_NAMES = (
    "none",
    "rotate 90",
    "rotate 180",
    "rotate 270",
    "flip vertical",
    "mirror",
    "transpose",
    "transverse",
)


@dataclass(frozen=True)
class Codes:
    """Global hashes of one picture: `pdq[i]` and `phash[i]` are those of dihedral variant i."""

    pdq: tuple[bytes, ...]  # 32 bytes each
    phash: tuple[bytes, ...]  # 8 bytes each
    quality: int  # PDQ's own quality figure, 0..100; below ~50 the picture is nearly flat


@dataclass(frozen=True)
class Features:
    """ORB keypoints of a picture scaled to FEATURE_SIZE, and a small grey thumbnail of it."""

    size: tuple[int, int]  # width, height of the FEATURE_SIZE copy the points are in
    points: np.ndarray  # float32, (n, 2)
    descriptors: np.ndarray  # uint8, (n, 32)
    thumb: np.ndarray  # uint8 grey, longest side THUMB_SIZE
    # uint8 Lab a*, b* (h, w, 2), longest side COLOUR_SIZE; None in rows stored before it was kept
    colour: np.ndarray | None = None

    def to_bytes(self) -> bytes:
        n = len(self.points)
        th, tw = self.thumb.shape
        head = np.array([self.size[0], self.size[1], n, tw, th], dtype="<u4").tobytes()
        # The colour map goes last, after its own size: a blob stored before it ends at the thumbnail.
        colour = b""
        if self.colour is not None:
            ch, cw = self.colour.shape[:2]
            colour = np.array([cw, ch], dtype="<u4").tobytes() + self.colour.astype(np.uint8).tobytes()
        return (
            head
            + self.points.astype("<f4").tobytes()
            + self.descriptors.astype(np.uint8).tobytes()
            + self.thumb.astype(np.uint8).tobytes()
            + colour
        )

    @classmethod
    def from_bytes(cls, blob: bytes) -> Features:
        width, height, n, tw, th = (int(v) for v in np.frombuffer(blob[:20], dtype="<u4"))
        at = 20
        points = np.frombuffer(blob[at : at + 8 * n], dtype="<f4").reshape(n, 2)
        at += 8 * n
        descriptors = np.frombuffer(blob[at : at + 32 * n], dtype=np.uint8).reshape(n, 32)
        at += 32 * n
        thumb = np.frombuffer(blob[at : at + tw * th], dtype=np.uint8).reshape(th, tw)
        at += tw * th
        colour = None
        if len(blob) > at:
            cw, ch = (int(v) for v in np.frombuffer(blob[at : at + 8], dtype="<u4"))
            colour = np.frombuffer(blob[at + 8 : at + 8 + cw * ch * 2], dtype=np.uint8).reshape(ch, cw, 2)
        return cls((width, height), points, descriptors, thumb, colour)


@dataclass(frozen=True)
class Verification:
    matches: int  # descriptor matches passing the ratio test
    inliers: int  # matches consistent with one homography
    coverage: float  # share of the smaller picture's area spanned by the inliers (convex hull)
    error: float  # median reprojection error of the inliers, pixels at FEATURE_SIZE
    agreement: float  # correlation of the aligned thumbnails over their overlap, -1..1
    detail: float  # correlation of their fine detail (Laplacian), -1..1
    overlap: float  # share of the reference thumbnail the aligned query covers
    # share of the overlap whose colour differs beyond a copy's edits (0 when either has no colour)
    colour_apart: float = 0.0


@dataclass(frozen=True, eq=False)
class Fingerprint:
    """What the reuse look measures of a photo; crop codes and features are computed on first use."""

    grey: np.ndarray  # the picture, grey, longest side FEATURE_SIZE (see `fingerprint`)
    box: tuple[int, int, int, int]  # x, y, w, h of the picture in the working copy
    codes: Codes  # of the picture
    # Of the untrimmed frame when trimming cut something, looked up and indexed besides the picture:
    # a product on white whose margin a watermark or a brightness change alters is found by it.
    others: tuple[Codes, ...] = ()
    # Of framings that only find candidates, which the picture's keypoints alone confirm: a
    # screenshot's own framings around the picture (chrome alone never makes a match, as two
    # screenshots of one app showing different photos would), and a product found on a plain
    # backdrop (as a light-theme screenshot shows it, its backdrop one white with the app's card;
    # two renders of one product template are as near as copies by their hashes).
    finders: tuple[Codes, ...] = ()
    # Of a product found on a plain backdrop: its box, grey, longest side FEATURE_SIZE, a second
    # source of keypoints. The frame is what is hashed (a white product's outline moves with JPEG
    # noise), but where the frame is a screenshot cut square around a white packshot on a light
    # card, the product is a quarter of it and only its own keypoints confirm the copy.
    product: np.ndarray | None = None
    # Lab a*, b* of `grey` and of `product`, longest side COLOUR_SIZE (see `Features.colour`)
    colour: np.ndarray | None = None
    product_colour: np.ndarray | None = None
    _features: dict[tuple[int, bool], Features] = field(default_factory=dict, repr=False)

    @cached_property
    def crop_codes(self) -> tuple[Codes, ...]:
        """Codes of the crops in `CROPS`: what goes in the index besides the whole picture."""
        # Cropping a reduced copy gives the same hashes (they see 64x64 and 32x32) at a tenth the cost,
        # and the crops' DCTs are two matrix products for all of them at once (0.5 ms against 4.5-6.8 for
        # nine calls of global_codes: the per-call overhead of pdqhash and numpy was most of it).
        base = _fit(self.grey, BASE_SIZE)
        grids = np.stack([cv2.resize(_crop(base, *c), (64, 64), interpolation=cv2.INTER_AREA) for c in CROPS])
        pdq, phash = _unturned_codes(grids)
        return tuple(Codes(pdq=(p,), phash=(h,), quality=0) for p, h in zip(pdq, phash, strict=True))

    def query_codes(self) -> tuple[Codes, ...]:
        """What a lookup searches with: the picture, the other framings, the finders."""
        return (self.codes, *self.others, *self.finders)

    def picture_codes(self) -> tuple[Codes, ...]:
        """The codes whose distance alone may confirm a match: all but the finders."""
        return (self.codes, *self.others)

    def index_pdq(self) -> tuple[bytes, ...]:
        """The PDQ codes to index (canonical variant): the picture, its crops, the other framings."""
        framings = (*self.others, *self.finders)
        return (self.codes.pdq[0], *(c.pdq[0] for c in self.crop_codes), *(c.pdq[0] for c in framings))

    def index_phash(self) -> tuple[bytes, ...]:
        framings = (*self.others, *self.finders)
        return (self.codes.phash[0], *(c.phash[0] for c in self.crop_codes), *(c.phash[0] for c in framings))

    def features(self, variant: int = 0, product: bool = False) -> Features:
        """Keypoints of the picture (or of `product`, when there is one) turned by dihedral
        `variant` (so a mirrored copy lines up)."""
        own = product and self.product is not None
        grey, colour = (self.product, self.product_colour) if own else (self.grey, self.colour)
        assert grey is not None
        key = (variant, own)
        found = self._features.get(key)
        if found is None:
            turned = None if colour is None else np.ascontiguousarray(DIHEDRAL[variant](colour))
            found = self._features[key] = local_features(np.ascontiguousarray(DIHEDRAL[variant](grey)), turned)
        return found


def fingerprint(working: Image.Image) -> Fingerprint:
    """The fingerprint of a photo's working copy (`Photo.working`); `measure.Measurements` keeps a
    claim photo's for every look and the record step.

    The picture is the working copy without its uniform borders — or, when the frame is a screen
    (`screen_picture.find`: a picture among text and icons on flat chrome), that picture, whose
    keypoints alone confirm a match; the screenshot's own framings then only find candidates.
    """
    grey = np.asarray(working.convert("L"))
    rgb = np.asarray(working.convert("RGB"))
    trimmed, box = screen_picture.trim_borders(grey)
    inside = screen_picture.find(grey, bordered=trimmed.shape != grey.shape)
    scaled = _scale_to(trimmed, FEATURE_SIZE)
    framings = [global_codes(scaled)]
    if trimmed.shape != grey.shape:
        framings.append(global_codes(_fit(grey, BASE_SIZE)))
    if inside is not None and inside.on_screen:
        if inside.outer != inside.box:
            x, y, w, h = inside.outer
            framings.append(global_codes(_fit(grey[y : y + h, x : x + w], BASE_SIZE)))
        framings += _banded(trimmed)
        x, y, w, h = inside.box
        scaled = _scale_to(grey[y : y + h, x : x + w], FEATURE_SIZE)
        return Fingerprint(
            grey=scaled,
            box=inside.box,
            codes=global_codes(scaled),
            finders=tuple(framings),
            colour=_chroma(rgb, inside.box),
        )
    finders: tuple[Codes, ...] = ()
    product = product_colour = None
    if inside is not None:  # a product on a plain backdrop: the product's own codes besides
        x, y, w, h = inside.box
        # and the frame trimmed band after band, as a screenshot of it is (a stock photo's banner
        # and margins, a screen's bars): they find candidates, keypoints confirm.
        finders = (global_codes(_fit(grey[y : y + h, x : x + w], BASE_SIZE)), *_banded(trimmed))
        product = _scale_to(grey[y : y + h, x : x + w], FEATURE_SIZE)
        product_colour = _chroma(rgb, inside.box)
    return Fingerprint(
        grey=scaled,
        box=box,
        codes=framings[0],
        others=tuple(framings[1:]),
        finders=finders,
        product=product,
        colour=_chroma(rgb, box),
        product_colour=product_colour,
    )


def _chroma(rgb: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """Lab a*, b* of the box of an RGB picture, longest side COLOUR_SIZE (never scaled up)."""
    x, y, w, h = box
    small = _fit(rgb[y : y + h, x : x + w], COLOUR_SIZE)
    return np.ascontiguousarray(cv2.cvtColor(small, cv2.COLOR_RGB2LAB)[..., 1:])


def middle_codes(grey: np.ndarray) -> tuple[bytes, bytes]:
    """PDQ and pHash of the middle crop (`CROPS`' last) of a grey picture, as `crop_codes` hashes
    it: of `Fingerprint.grey`, the row's code exactly; of a kept thumbnail, a near one."""
    grid = cv2.resize(_crop(_fit(grey, BASE_SIZE), *CROPS[-1]), (64, 64), interpolation=cv2.INTER_AREA)
    pdq, phash = _unturned_codes(grid[None])
    return pdq[0], phash[0]


def _banded(trimmed: np.ndarray) -> list[Codes]:
    """The codes of a trimmed frame trimmed again band after band, as far as bars go (none when
    the first trim was the last): a picture spanning a screen's width on a flat ground of its own
    is trimmed as the picture alone would be."""
    inner = trimmed
    for _ in range(MAX_BANDS):
        cut, (x, y, w, h) = screen_picture.trim_borders(inner)
        if cut.shape == inner.shape:
            break
        # The seam where a band met the picture is a row or two of their blend: left on, it is taken
        # for the next band's colour and that side's band is not trimmed (a black bar over a photo's
        # white ground), so the next trim works on a narrower picture and cuts elsewhere.
        height, width = inner.shape[:2]
        top, left = SEAM if y > 0 else 0, SEAM if x > 0 else 0
        bottom, right = SEAM if y + h < height else 0, SEAM if x + w < width else 0
        inner = cut[top : h - bottom, left : w - right] if min(h, w) > 4 * SEAM else cut
    return [global_codes(_fit(inner, BASE_SIZE))] if inner.shape != trimmed.shape else []


def global_codes(grey: np.ndarray, dihedral: bool = True) -> Codes:
    """PDQ and pHash of a grey picture: all eight dihedral variants, or only the picture as it is."""
    # PDQ squeezes every picture to 64x64 (a tent filter, then decimation) before its DCT; an
    # area-averaged 64x64 copy handed to pdqhash passes its filter unchanged (window 1), so the
    # 16x16 DCT, threshold and quality are PDQ's and only the downscaling is OpenCV's: a tenth the
    # cost, within a few bits of pdqhash on the full picture (tests/test_reuse.py).
    grid = cv2.resize(_fit(grey, BASE_SIZE), (64, 64), interpolation=cv2.INTER_AREA)
    # pdqhash takes RGB and weighs it to luma; three views of one grey plane give that grey.
    dct, quality = pdqhash.compute_float(np.broadcast_to(grid[..., None], (64, 64, 3)))
    pixels = cv2.resize(grid, (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32)
    low = cv2.dct(pixels)[:8, :8]
    turns = _DCT_TURNS if dihedral else _DCT_TURNS[:1]
    pdq = _above_median(np.stack([_turn(dct.reshape(16, 16), turn) for turn in turns]))
    phash = _above_median(np.stack([_turn(low, turn) for turn in turns]))
    return Codes(pdq=pdq, phash=phash, quality=int(quality))


def _dct_matrix(size: int, rows: range) -> np.ndarray:
    """Orthonormal DCT-II basis rows (as cv2.dct's) for a signal of `size` samples."""
    k = np.arange(rows.start, rows.stop, dtype=np.float64)[:, None]
    n = np.arange(size, dtype=np.float64)[None, :]
    scale = np.where(k == 0, math.sqrt(1 / size), math.sqrt(2 / size))
    return (scale * np.cos(math.pi * k * (2 * n + 1) / (2 * size))).astype(np.float32)


# PDQ keeps DCT coefficients 1..16 of its 64x64 picture (not the constant one); pHash 0..7 of 32x32.
_PDQ_DCT = _dct_matrix(64, range(1, 17))
_PHASH_DCT = _dct_matrix(32, range(0, 8))


def _unturned_codes(grids: np.ndarray) -> tuple[tuple[bytes, ...], tuple[bytes, ...]]:
    """PDQ and pHash codes of n grey 64x64 pictures (n, 64, 64), as `global_codes(dihedral=False)`.

    PDQ's DCT is pdqhash's own (`compute_float` returns these coefficients, reversed), computed here
    in one product for all pictures; equal to pdqhash's to float rounding (tests/test_reuse.py).
    """
    pdq = (_PDQ_DCT @ grids.astype(np.float32) @ _PDQ_DCT.T).reshape(len(grids), -1)[:, ::-1]
    pixels = np.stack([cv2.resize(g, (32, 32), interpolation=cv2.INTER_AREA) for g in grids])
    phash = (_PHASH_DCT @ pixels.astype(np.float32) @ _PHASH_DCT.T).reshape(len(grids), -1)
    return _above_median(pdq), _above_median(phash)


# How the DCT of a picture turned by DIHEDRAL[i] follows from the picture's own: (transposed, sign of
# odd rows flipped, sign of odd columns flipped). Holds for pHash's DCT and for PDQ's (whose
# coefficients `compute_float` gives in reverse order); tests check both against turned pictures.
_DCT_TURNS = (
    (False, False, False),
    (True, True, False),
    (False, True, True),
    (True, False, True),
    (False, True, False),
    (False, False, True),
    (True, False, False),
    (True, True, True),
)


def _turn(dct: np.ndarray, turn: tuple[bool, bool, bool]) -> np.ndarray:
    transposed, odd_rows, odd_columns = turn
    out = dct.T if transposed else dct
    if odd_rows or odd_columns:
        out = out.copy()
        if odd_rows:
            out[1::2] *= -1
        if odd_columns:
            out[:, 1::2] *= -1
    return out


def _above_median(variants: np.ndarray) -> tuple[bytes, ...]:
    """One code per variant (first axis): each coefficient against its variant's median."""
    flat = variants.reshape(len(variants), -1)
    bits = np.packbits(flat > np.median(flat, axis=1, keepdims=True), axis=1)
    return tuple(row.tobytes() for row in bits)


def local_features(grey: np.ndarray, colour: np.ndarray | None = None) -> Features:
    """ORB keypoints of a grey picture scaled to FEATURE_SIZE, and its thumbnail (and `colour`, its
    colour map, kept as it is)."""
    small = grey if max(grey.shape) == FEATURE_SIZE else _scale_to(grey, FEATURE_SIZE)
    thumb = _scale_to(small, THUMB_SIZE)
    size = (small.shape[1], small.shape[0])
    keypoints, descriptors = (), None
    if min(size) > 2 * ORB_EDGE:
        orb = cv2.ORB_create(  # type: ignore[attr-defined]
            nfeatures=MAX_FEATURES, fastThreshold=ORB_FAST_THRESHOLD, nlevels=ORB_LEVELS, scaleFactor=ORB_SCALE
        )
        keypoints, descriptors = orb.detectAndCompute(small, None)
    if descriptors is None or not keypoints:
        return Features(size, np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8), thumb, colour)
    points = np.array([k.pt for k in keypoints], dtype=np.float32)
    return Features(size, points, descriptors, thumb, colour)


def verify(query: Features, reference: Features) -> Verification:
    """Match descriptors (ratio test), fit a homography with RANSAC, measure its support."""
    if len(query.points) < 8 or len(reference.points) < 8:
        return Verification(0, 0, 0.0, 0.0, 0.0, 0.0, 0.0)
    # The two nearest reference descriptors of each query one by FAISS's popcount: the same pairs as
    # BFMatcher.knnMatch at an eighth of the cost (0.5 ms against 3.9 for 500 x 500).
    descriptors = faiss.IndexBinaryFlat(256)
    descriptors.add(np.ascontiguousarray(reference.descriptors))
    distances, nearest = descriptors.search(np.ascontiguousarray(query.descriptors), 2)
    good = np.flatnonzero(distances[:, 0] < RATIO * distances[:, 1])
    if len(good) < 8:
        return Verification(len(good), 0, 0.0, 0.0, 0.0, 0.0, 0.0)
    src = query.points[good]
    dst = reference.points[nearest[good, 0]]
    # Scale both to a common frame so one pixel threshold means the same at any working size.
    homography, mask = cv2.findHomography(
        src, dst, cv2.USAC_MAGSAC, RANSAC_PIXELS, maxIters=2000, confidence=0.999
    )
    if homography is None or mask is None:
        return Verification(len(good), 0, 0.0, 0.0, 0.0, 0.0, 0.0)
    keep = mask.ravel().astype(bool)
    inliers = int(keep.sum())
    if inliers < 4:
        return Verification(len(good), inliers, 0.0, 0.0, 0.0, 0.0, 0.0)
    projected = cv2.perspectiveTransform(src[keep].reshape(-1, 1, 2), homography).reshape(-1, 2)
    error = float(np.median(np.linalg.norm(projected - dst[keep], axis=1)))
    coverage = min(_hull_share(src[keep], query.size), _hull_share(dst[keep], reference.size))
    agreement, detail, overlap = _aligned_agreement(query, reference, homography)
    apart = _colour_apart(query, reference, homography)
    return Verification(len(good), inliers, coverage, error, agreement, detail, overlap, apart)


def _aligned_agreement(
    query: Features, reference: Features, homography: np.ndarray
) -> tuple[float, float, float]:
    """Warp the query's thumbnail onto the reference's; compare them where both have pixels.

    Returns the correlation of the two (a copy agrees everywhere it overlaps, background included;
    another photo of the same product agrees on the product only), the correlation of their fine
    detail (Laplacian: a second shot of the same still scene agrees in the large but not in the
    small), and the share of the reference the query covers.
    """
    q_scale = query.thumb.shape[1] / query.size[0]
    r_scale = reference.thumb.shape[1] / reference.size[0]
    to_thumb = np.diag([r_scale, r_scale, 1.0]) @ homography @ np.diag([1 / q_scale, 1 / q_scale, 1.0])
    th, tw = reference.thumb.shape
    warped = cv2.warpPerspective(query.thumb, to_thumb, (tw, th), flags=cv2.INTER_LINEAR)
    inside = cv2.warpPerspective(
        np.full(query.thumb.shape, 255, np.uint8), to_thumb, (tw, th), flags=cv2.INTER_NEAREST
    )
    # Stay clear of the overlap's edge, where interpolation and the Laplacian mix in the outside.
    mask = cv2.erode(inside, np.ones((5, 5), np.uint8)) > 0
    overlap = float(mask.mean())
    if mask.sum() < 64:
        return 0.0, 0.0, overlap
    a = warped.astype(np.float32)
    b = reference.thumb.astype(np.float32)
    coarse = _correlation(cv2.GaussianBlur(a, (3, 3), 0)[mask], cv2.GaussianBlur(b, (3, 3), 0)[mask])
    fine = _correlation(
        cv2.Laplacian(a, cv2.CV_32F, ksize=3)[mask], cv2.Laplacian(b, cv2.CV_32F, ksize=3)[mask]
    )
    return coarse, fine, overlap


def _colour_apart(query: Features, reference: Features, homography: np.ndarray) -> float:
    """The share of the overlap where the aligned colour maps differ by more than a copy's edits
    explain: the query's colours mapped by one saturation and tint (a filter, a light change)
    fitted over the overlap, refitted without the pixels it leaves COLOUR_APART away (so another
    flavour's panel does not bend the map towards itself). 0 when either map is missing or
    colourless: then the grey agreement alone decides, as before."""
    if query.colour is None or reference.colour is None:
        return 0.0
    # Each axis its own scale: a map 17 pixels wide for a carton 222 wide at FEATURE_SIZE is 2 %
    # off the height's 48 for 640, a pixel by its foot.
    (qh, qw), (ch, cw) = query.colour.shape[:2], reference.colour.shape[:2]
    to_query = np.diag([query.size[0] / qw, query.size[1] / qh, 1.0])
    to_map = np.diag([cw / reference.size[0], ch / reference.size[1], 1.0]) @ homography @ to_query
    # The query's grey beside its colours: a filter tints light parts more than dark ones.
    lightness = cv2.resize(query.thumb, (qw, qh), interpolation=cv2.INTER_AREA)[..., None]
    planes = np.concatenate([query.colour, lightness], axis=2).astype(np.float32)
    # Edges replicated: blended with a border of zeros (a* = b* = -128), the overlap's rim would
    # turn blue-green and pull the fitted map.
    warped = cv2.warpPerspective(
        planes, to_map, (cw, ch), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    inside = cv2.warpPerspective(
        np.full(query.colour.shape[:2], 255, np.uint8), to_map, (cw, ch), flags=cv2.INTER_NEAREST
    )
    # One pixel off the overlap's edge, where interpolation mixes in the outside.
    mask = cv2.erode(inside, np.ones((3, 3), np.uint8)) > 0
    if mask.sum() < 16:
        return 0.0
    source, target = warped[mask][:, :2], reference.colour.astype(np.float32)[mask]
    if min(float(source.std(axis=0).max()), float(target.std(axis=0).max())) < COLOURLESS:
        return 0.0
    # c' = k c + a tint growing with lightness, about grey (a* = b* = 128): saturation and a
    # filter's cast, never a turn of hue, which would carry one flavour's yellow onto another's red
    # where the template is colourless.
    chroma, light = warped[..., :2] - 128, warped[..., 2] / 255
    design = np.zeros((2, ch, cw, 5), np.float32)
    design[0, ..., 0], design[1, ..., 0] = chroma[..., 0], chroma[..., 1]
    design[0, ..., 1], design[1, ..., 2], design[0, ..., 3], design[1, ..., 4] = 1, 1, light, light
    wanted = np.moveaxis(reference.colour.astype(np.float32) - 128, 2, 0)
    keep = mask
    for _ in range(2):
        # By the normal equations, 5 x 5: lstsq on the 2n rows themselves cost a millisecond more.
        rows, values = design[:, keep].reshape(-1, 5), wanted[:, keep].ravel()
        fit = np.linalg.lstsq(rows.T @ rows, rows.T @ values, rcond=None)[0]
        mapped = design @ fit
        # The nearest of the mapped query's pixels one either side: the maps are a pixel apart at
        # an edge after a resize, however well aligned.
        padded = np.pad(mapped, ((0, 0), (1, 1), (1, 1)), mode="edge")
        nearest = np.min(
            [
                np.hypot(*(padded[:, 1 + dy : 1 + dy + ch, 1 + dx : 1 + dx + cw] - wanted))
                for dy in (-1, 0, 1)
                for dx in (-1, 0, 1)
            ],
            axis=0,
        )
        apart = (nearest > COLOUR_APART) & mask
        if not (mask & ~apart).any():
            break
        keep = mask & ~apart
    return float(apart.sum() / mask.sum())


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    a = a - a.mean()
    b = b - b.mean()
    denominator = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum()) / denominator if denominator > 0 else 0.0


def _hull_share(points: np.ndarray, size: tuple[int, int]) -> float:
    hull = cv2.convexHull(points.reshape(-1, 1, 2).astype(np.float32))
    return float(cv2.contourArea(hull)) / float(size[0] * size[1])


def _fit(picture: np.ndarray, size: int, interpolation: int = cv2.INTER_AREA) -> np.ndarray:
    """Scale down (never up) so the longest side is at most `size`."""
    height, width = picture.shape[:2]
    scale = size / max(height, width)
    picture = np.ascontiguousarray(picture)
    if scale >= 1:
        return picture
    target = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(picture, target, interpolation=interpolation)


def _scale_to(grey: np.ndarray, size: int) -> np.ndarray:
    """Scale so the longest side is `size`, up or down: keypoint positions share one scale."""
    height, width = grey.shape[:2]
    scale = size / max(height, width)
    target = (max(1, round(width * scale)), max(1, round(height * scale)))
    # Less than halving, bilinear sampling aliases little and costs a seventh of INTER_AREA's
    # general (non-integer) path: 0.5 ms against 3.8 for a 1008x756 working copy to 640.
    interpolation = cv2.INTER_AREA if scale < 0.5 else cv2.INTER_LINEAR
    return cv2.resize(grey, target, interpolation=interpolation)


def _crop(picture: np.ndarray, keep: float, ax: float, ay: float) -> np.ndarray:
    height, width = picture.shape[:2]
    h, w = max(1, round(height * keep)), max(1, round(width * keep))
    y, x = round((height - h) * ay), round((width - w) * ax)
    return picture[y : y + h, x : x + w]
