"""Where the EXIF thumbnail and the photo disagree locally: the trace of a quiet edit.

An editor that keeps the camera's EXIF keeps its old thumbnail too. A scratch, a stain or a cloned
patch painted over a few percent of the frame barely moves a whole-picture comparison
(`thumbnail.compare_thumbnail`), but at thumbnail scale it is a compact region where the photo
shows what the preview does not. This module finds that region:

1. Framing. The thumbnail (upright, letterbox bars cut) is compared at its own size, at most
   `COMPARE_SIDE` on its longest side. The photo is fitted onto it three ways — stretched (cameras
   squeeze a 3:2 photo into a 4:3 preview), cropped to the thumbnail's aspect, or the thumbnail
   cropped to the photo's — and the best-correlated framing is refined by an affine ECC alignment.
2. Tone. Phones may write the thumbnail from another processing stage (before HDR tone mapping,
   before the portrait blur, another sharpening): the photo is predicted from the thumbnail by a
   local linear model (a guided filter, `TONE_WINDOW` of the short side), fitted twice, the second
   time without the pixels the first fit could not explain, so that an edit does not bend it.
3. Disagreement. A photo pixel disagrees by how far it lies outside the range the prediction takes
   in its 3x3 neighbourhood (half-pixel misalignment and resampling differences stay inside it),
   in units of the noise floor: the larger of the JPEG quantisation noise of both files at this
   scale and the spread of the prediction's own residual. A photo at most `PER_PIXEL_SCALE` times
   the compared size (a 100x75 photo with a 75x56 preview) is judged per pixel instead: there the
   preview holds nearly the photo's own resolution, and a neighbourhood's range would take in a
   2-pixel scratch or a small stain as if it were misalignment; the sub-pixel ECC alignment stands
   for the envelope, and a pixel disagrees at `PER_PIXEL_FLOOR_MULTIPLE` floors.
4. Region. Pixels more than `PIXEL_FLOOR_MULTIPLE` (or `PER_PIXEL_FLOOR_MULTIPLE`) floors out,
   joined into 8-connected regions; the disagreement beyond that threshold, summed in floors per
   1000 pixels of the frame, of the region where that sum is largest is the measure
   (`LocalDisagreement.tone`, its `mass` the report's ``region_mass``): it grows with both the size
   and the contrast of a change, where a share or a peak alone would not tell a faint stain from
   JPEG noise.
5. Colour. The same comparison on the chromaticity alone (`LocalDisagreement.colour`, a `Region`
   like the tone's, its `mass` the report's ``colour_mass``): red against green and green against
   blue, each over the pixel's brightness, so that a change of brightness — a tone curve, HDR tone
   mapping, a gain — leaves it unchanged, while paint of another hue (a brown stain on a green box,
   on foliage, on a white wall) stands out even where its brightness is that of the surface. Dark
   pixels, whose hue is noise, are damped (`COLOUR_DARK`), and the chromaticity is compared at a
   coarser scale (`COLOUR_BLUR`): a JPEG keeps colour at half the resolution of brightness, the
   preview included, so at the preview's own scale the two disagree along every coloured edge. Its
   floor is the spread of its own residual (the quantisation bound is one of brightness), and a
   pixel disagrees at `COLOUR_FLOOR_MULTIPLE` floors.
6. Line. A thin scratch painted darker (1-3 compared pixels wide) is taken in by the 3x3 envelope,
   which has to take in the lines of that width honest processing draws along the preview's own
   edges. So the photo's darkening against the prediction (no envelope, every channel darker) is
   followed along short straight lines in 12 directions; a line counts by how far it stands out
   from both its sides, less the prediction's own edge along it (`LocalDisagreement.line`, its
   `mass` the report's ``line_mass``, regions at `LINE_FLOOR_MULTIPLE` floors as above).

This module measures; checks/integrity/quiet_edit.py decides.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image

from evidence_check.imaging.thumbnail import open_thumbnail

COMPARE_SIDE = 192  # longest side of the comparison; larger previews are shrunk to it
MIN_SIDE = 48  # a preview smaller than this on its longest side shows too little to compare locally
MIN_FRAMING_CORRELATION = 0.7  # below it no framing of the photo shows the thumbnail's scene
BLUR_SIGMA = 0.7  # both pictures smoothed alike: resampling kernels differ
TONE_WINDOW = 1 / 5  # radius of the local tone model, share of the short side
TONE_EPSILON = 16.0  # guided-filter regulariser (grey levels squared): flat areas follow the mean
OUTLIER_FLOORS = 3.0  # pixels this many floors out are left out of the second tone fit
PIXEL_FLOOR_MULTIPLE = 3.0  # a pixel disagrees when it lies this many floors outside the envelope
MIN_FLOOR = 1.5  # grey levels: the floor never goes below it
JPEG_FLOOR_SHARE = 0.5  # of the quantisation bound: most coefficients it allows for are zero anyway
ENVELOPE = 3  # side of the neighbourhood whose range a photo pixel may take
PER_PIXEL_SCALE = 1.5  # photo's longest side over the compared one, at most: judged per pixel
PER_PIXEL_FLOOR_MULTIPLE = 4.0  # a pixel judged alone disagrees this many floors from the prediction
BORDER = 2  # pixels at the edge of the aligned overlap are not judged (resampling, ECC border)
COLOUR_DARK = 60.0  # grey levels added to the sum of the channels a chromaticity is divided by
COLOUR_BLUR = 2.0  # sigma, compared pixels: the chromaticity is compared this much coarser
COLOUR_FLOOR_MULTIPLE = 4.0  # a pixel's chromaticity disagrees this many floors outside the envelope
LINE_LENGTH = 9  # compared pixels: how far a painted line is followed straight
LINE_DIRECTIONS = 12  # directions a line is followed in, over a half turn
LINE_SIDE = 3.0  # compared pixels: a line's sides are read this far aside (a scratch is 1-3 wide)
LINE_EDGE_WEIGHT = 1.5  # the prediction's edge along a line, in floors per pixel, taken off it
LINE_FLOOR_MULTIPLE = 0.5  # a line counts where it stands out by this many floors


@dataclass(frozen=True)
class Region:
    share: float  # of the compared frame
    peak: float  # its largest disagreement, in noise floors
    mass: float  # its disagreement beyond the pixel threshold, floors summed, per 1000 frame pixels
    box: tuple[float, float, float, float]  # in the photo, shares (left, top, right, bottom)
    count: int  # how many disagreeing regions there are


@dataclass(frozen=True)
class LocalDisagreement:
    tone: Region  # where the photo disagrees most with the thumbnail's tone model
    floor: float  # the tone's noise floor, grey levels
    framing: str  # stretched | photo_cropped | thumbnail_cropped
    framing_correlation: float  # correlation of the framed pictures before the tone model
    compared_size: tuple[int, int]
    per_pixel: bool  # judged pixel by pixel (a photo hardly larger than its preview)
    colour: Region  # where the chromaticity alone disagrees most
    line: Region  # where a thin line darker than predicted crosses what the preview shows

    def as_details(self) -> dict[str, object]:
        # The tone's keys keep the names the report has always had (docs/contract.md): region_*.
        return {
            "region_share": round(self.tone.share, 4),
            "region_peak": round(self.tone.peak, 1),
            "region_mass": round(self.tone.mass, 2),
            "region_box": [round(v, 3) for v in self.tone.box],
            "regions": self.tone.count,
            "floor": round(self.floor, 2),
            "framing": self.framing,
            "framing_correlation": round(self.framing_correlation, 3),
            "compared_size": list(self.compared_size),
            "per_pixel": self.per_pixel,
            "colour_mass": round(self.colour.mass, 2),
            "colour_share": round(self.colour.share, 4),
            "colour_box": [round(v, 3) for v in self.colour.box],
            "line_mass": round(self.line.mass, 2),
            "line_box": [round(v, 3) for v in self.line.box],
        }


def local_disagreement(
    thumbnail: bytes,
    orientation: int,
    working: Image.Image,
    photo_qtables: Mapping[int, Sequence[int]] | None,
    photo_width: int,
    turn: int = 0,
) -> LocalDisagreement | None:
    """Measure where the photo disagrees with its EXIF thumbnail (turned `turn` degrees clockwise,
    as `checks/integrity/editing.thumbnail_turn` finds it); None when the thumbnail cannot be read,
    is too small, or no framing of the photo shows its scene."""
    opened = open_thumbnail(thumbnail, orientation, turn)
    if opened is None:
        return None
    preview = opened[0]
    if max(preview.size) < MIN_SIDE:
        return None
    thumb_rms = _quantisation_rms(_qtables_of(thumbnail))
    shrink = min(1.0, COMPARE_SIDE / max(preview.size))
    if shrink < 1.0:
        size = (max(1, round(preview.width * shrink)), max(1, round(preview.height * shrink)))
        preview = preview.resize(size, Image.Resampling.BOX)
    thumb = np.asarray(preview, dtype=np.float32)
    photo = np.asarray(working.convert("RGB"), dtype=np.uint8)  # resized as bytes: several times faster
    framed = _frame(thumb, photo)
    if framed is None:
        return None
    thumb, photo_on_thumb, valid, framing, correlation, crop = framed
    per_pixel = max(photo.shape[:2]) <= PER_PIXEL_SCALE * max(thumb.shape[:2])
    main_rms = _quantisation_rms(photo_qtables) * thumb.shape[1] / max(photo_width, 1)
    jpeg_floor = JPEG_FLOOR_SHARE * math.hypot(thumb_rms * shrink, main_rms)
    smooth_thumb = np.asarray(cv2.GaussianBlur(thumb, (0, 0), BLUR_SIGMA), dtype=np.float32)
    smooth_photo = np.asarray(cv2.GaussianBlur(photo_on_thumb, (0, 0), BLUR_SIGMA), dtype=np.float32)
    predicted, floor = _prediction(smooth_thumb, smooth_photo, valid, jpeg_floor)
    excess = _outside(smooth_photo, predicted, 1 if per_pixel else ENVELOPE)
    multiple = PER_PIXEL_FLOOR_MULTIPLE if per_pixel else PIXEL_FLOOR_MULTIPLE
    tone = _strongest_region(excess / floor, valid, multiple, crop)
    line = _strongest_region(_darker_line(smooth_photo, predicted, valid, floor), valid, LINE_FLOOR_MULTIPLE, crop)
    colour_excess, colour_floor = _excess(
        _chromaticity(smooth_thumb), _chromaticity(smooth_photo), valid, 0.0, ENVELOPE
    )
    colour = _strongest_region(colour_excess / colour_floor, valid, COLOUR_FLOOR_MULTIPLE, crop)
    h, w = valid.shape
    return LocalDisagreement(tone, floor, framing, correlation, (w, h), per_pixel, colour, line)


def _qtables_of(jpeg: bytes) -> Mapping[int, Sequence[int]] | None:
    try:
        with Image.open(io.BytesIO(jpeg), formats=["JPEG"]) as image:
            tables = getattr(image, "quantization", None)
            return dict(tables) if tables else None
    except Exception:
        return None


def _quantisation_rms(tables: Mapping[int, Sequence[int]] | None) -> float:
    """The RMS pixel error the luminance table allows (uniform rounding in an orthonormal DCT), an
    upper bound of a JPEG's noise at its own scale."""
    if not tables:
        return 0.0
    luma = tables.get(0) or next(iter(tables.values()))
    return math.sqrt(sum(q * q for q in luma) / 12.0) / 8.0


Framed = tuple[np.ndarray, np.ndarray, np.ndarray, str, float, tuple[float, float, float, float]]


def _frame(thumb: np.ndarray, photo: np.ndarray) -> Framed | None:
    """The thumbnail (possibly cropped), the photo aligned onto it, the mask of judged pixels, the
    framing's name, its correlation, and the compared part of the photo (shares of its width/height)."""
    th, tw = thumb.shape[:2]
    ph, pw = photo.shape[:2]
    t_aspect, p_aspect = tw / th, pw / ph
    candidates: list[tuple[str, np.ndarray, tuple[float, float, float, float]]] = [
        ("stretched", thumb, (0.0, 0.0, 1.0, 1.0))
    ]
    if abs(math.log(t_aspect / p_aspect)) > 0.02:
        if p_aspect > t_aspect:  # the photo is wider: crop its sides, or the thumbnail's top/bottom
            keep = t_aspect / p_aspect
            candidates.append(("photo_cropped", thumb, ((1 - keep) / 2, 0.0, (1 + keep) / 2, 1.0)))
            rows = round(tw / p_aspect)
            top = (th - rows) // 2
            candidates.append(("thumbnail_cropped", thumb[top : top + rows], (0.0, 0.0, 1.0, 1.0)))
        else:
            keep = p_aspect / t_aspect
            candidates.append(("photo_cropped", thumb, (0.0, (1 - keep) / 2, 1.0, (1 + keep) / 2)))
            cols = round(th * p_aspect)
            left = (tw - cols) // 2
            candidates.append(("thumbnail_cropped", thumb[:, left : left + cols], (0.0, 0.0, 1.0, 1.0)))
    best: tuple[float, str, np.ndarray, np.ndarray, tuple[float, float, float, float]] | None = None
    for name, target, crop in candidates:
        if min(target.shape[:2]) < 8:
            continue
        x0, y0, x1, y1 = round(crop[0] * pw), round(crop[1] * ph), round(crop[2] * pw), round(crop[3] * ph)
        part = photo[y0:y1, x0:x1]
        size = (target.shape[1], target.shape[0])
        resized = cv2.resize(part, size, interpolation=cv2.INTER_AREA).astype(np.float32)
        correlation = _correlation(_grey(target), _grey(resized))
        if best is None or correlation > best[0]:
            best = (correlation, name, target, resized, crop)
    if best is None or best[0] < MIN_FRAMING_CORRELATION:
        return None
    correlation, name, target, resized, crop = best
    aligned, valid = _refine(target, resized)
    return target, aligned, valid, name, correlation, crop


def _refine(target: np.ndarray, moving: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`moving` warped onto `target` by an affine ECC alignment (kept only when it is a small
    correction), and the mask of pixels both cover, less a border."""
    h, w = target.shape[:2]
    warp = np.eye(2, 3, dtype=np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 60, 1e-5)
    try:
        _, found = cv2.findTransformECC(
            _grey(target), _grey(moving), warp.copy(), cv2.MOTION_AFFINE, criteria
        )
        linear_change = float(np.abs(found[:, :2] - np.eye(2)).max())
        shift = float(np.abs(found[:, 2]).max())
        if linear_change < 0.08 and shift < 0.06 * max(h, w):
            warp = np.asarray(found, dtype=np.float32)
    except cv2.error:  # no convergence: the framing alone stands
        pass
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    aligned = cv2.warpAffine(moving, warp, (w, h), flags=flags, borderMode=cv2.BORDER_REPLICATE)
    inside = cv2.warpAffine(np.ones((h, w), np.float32), warp, (w, h), flags=flags, borderValue=0.0)
    valid = inside > 0.999
    valid[:BORDER, :] = valid[-BORDER:, :] = False
    valid[:, :BORDER] = valid[:, -BORDER:] = False
    kernel = np.ones((2 * BORDER + 1, 2 * BORDER + 1), np.uint8)
    valid = cv2.erode(valid.astype(np.uint8), kernel).astype(bool)
    return aligned, valid


def _excess(
    thumb: np.ndarray, photo: np.ndarray, valid: np.ndarray, jpeg_floor: float, envelope: int
) -> tuple[np.ndarray, float]:
    """Per pixel, how far the photo lies outside the predicted range of its `envelope`-wide
    neighbourhood (largest over the colour channels; 1: the prediction at the pixel itself), and
    the noise floor."""
    predicted, floor = _prediction(thumb, photo, valid, jpeg_floor)
    return _outside(photo, predicted, envelope), floor


def _prediction(
    thumb: np.ndarray, photo: np.ndarray, valid: np.ndarray, jpeg_floor: float
) -> tuple[np.ndarray, float]:
    """The photo as the thumbnail's tone model predicts it, fitted a second time without the pixels
    the first fit could not explain, and the noise floor of what it leaves."""
    radius = max(3, round(min(thumb.shape[:2]) * TONE_WINDOW))
    weights = valid.astype(np.float32)
    predicted = _tone_model(thumb, photo, weights, radius)
    floor = _floor(photo - predicted, valid, jpeg_floor)
    weights = weights * (np.abs(photo - predicted).max(axis=2) < OUTLIER_FLOORS * floor)
    predicted = _tone_model(thumb, photo, weights, radius)
    return predicted, _floor(photo - predicted, valid, jpeg_floor)


def _outside(photo: np.ndarray, predicted: np.ndarray, envelope: int) -> np.ndarray:
    kernel = np.ones((envelope, envelope), np.uint8)
    high = cv2.dilate(predicted, kernel)
    low = cv2.erode(predicted, kernel)
    return np.asarray(np.maximum(np.maximum(photo - high, low - photo), 0.0).max(axis=2), dtype=np.float32)


def _darker_line(photo: np.ndarray, predicted: np.ndarray, valid: np.ndarray, floor: float) -> np.ndarray:
    """Per pixel, in floors: of the short straight lines through it (`LINE_LENGTH`, `LINE_DIRECTIONS`),
    the one along which the photo is darker than predicted in every channel by most beyond both its
    sides (`LINE_SIDE` aside), less `LINE_EDGE_WEIGHT` times the prediction's own edge along that line
    (its gradient across the line, averaged along it, within a pixel); 0 where the line or its sides
    would leave the judged part.

    A painted scratch is one-signed and crosses what the preview shows; the 1-2-pixel lines honest
    processing draws (sharpening halos, a blur's or half a pixel's shift at an edge) lie along an
    edge of the preview itself, and the 3x3 envelope that keeps those out of the tone's measure
    takes the scratch in with them."""
    # the channels taken apart: numpy reduces a last axis of three slowly
    below = [predicted[..., c] - photo[..., c] for c in range(3)]
    darker = np.where(valid, np.maximum(np.minimum(np.minimum(below[0], below[1]), below[2]), 0.0) / floor, 0.0)
    darker = np.asarray(darker, dtype=np.float32)
    grey = np.ascontiguousarray((predicted[..., 0] + predicted[..., 1] + predicted[..., 2]) / 3, dtype=np.float32)
    gx = np.asarray(cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3) / (8 * floor), dtype=np.float32)
    gy = np.asarray(cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3) / (8 * floor), dtype=np.float32)

    def along(values: np.ndarray, direction: int, aside: float = 0.0) -> np.ndarray:
        # the mean of `values` along the line through the point `aside` pixels across it
        kernel, anchor = _line_kernel(direction, aside)
        return cv2.filter2D(values, -1, kernel, anchor=anchor, borderType=cv2.BORDER_CONSTANT)

    strongest = np.zeros_like(darker)
    for direction in range(LINE_DIRECTIONS):
        angle = math.pi * direction / LINE_DIRECTIONS
        across_x, across_y = -math.sin(angle), math.cos(angle)
        slope = cv2.addWeighted(gx, across_x, gy, across_y, 0.0)
        sides = np.maximum(along(darker, direction, LINE_SIDE), along(darker, direction, -LINE_SIDE))
        edge = cv2.dilate(np.abs(along(slope, direction)), _across_pixel(direction))  # an edge within a pixel
        np.maximum(strongest, along(darker, direction) - sides - LINE_EDGE_WEIGHT * edge, out=strongest)
    # Beyond the judged part nothing is darker: a line there would stand out against it by default.
    # The array's own border is beyond it too (OpenCV's erosion keeps pixels at it by default).
    reach = LINE_LENGTH // 2 + math.ceil(LINE_SIDE)
    kernel = np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)
    inside = cv2.erode(valid.astype(np.uint8), kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    return np.where(inside > 0, strongest, 0.0).astype(np.float32)


@lru_cache(maxsize=LINE_DIRECTIONS)
def _across_pixel(direction: int) -> np.ndarray:
    """The pixel and its next neighbours across the line at `direction`, as a structuring element."""
    angle = math.pi * direction / LINE_DIRECTIONS
    step_x, step_y = round(-math.sin(angle)), round(math.cos(angle))
    element = np.zeros((3, 3), np.uint8)
    element[1, 1] = element[1 + step_y, 1 + step_x] = element[1 - step_y, 1 - step_x] = 1
    return element


@lru_cache(maxsize=3 * LINE_DIRECTIONS)
def _line_kernel(direction: int, aside: float) -> tuple[np.ndarray, tuple[int, int]]:
    """The kernel that averages a one-pixel line `LINE_LENGTH` long at `direction` of
    `LINE_DIRECTIONS` half turns, through the point `aside` pixels across it (bilinearly), and the
    kernel's anchor."""
    angle = math.pi * direction / LINE_DIRECTIONS
    radius = LINE_LENGTH // 2
    points = {
        (round(radius + t * math.cos(angle)), round(radius + t * math.sin(angle)))
        for t in np.linspace(-radius, radius, 4 * LINE_LENGTH)
    }
    dx, dy = aside * -math.sin(angle), aside * math.cos(angle)
    whole_x, whole_y = math.floor(dx), math.floor(dy)
    part_x, part_y = dx - whole_x, dy - whole_y
    kernel = np.zeros((2 * radius + 2, 2 * radius + 2), np.float32)
    for x, y in points:
        kernel[y, x] += (1 - part_x) * (1 - part_y)
        kernel[y, x + 1] += part_x * (1 - part_y)
        kernel[y + 1, x] += (1 - part_x) * part_y
        kernel[y + 1, x + 1] += part_x * part_y
    return kernel / len(points), (radius - whole_x, radius - whole_y)


def _tone_model(thumb: np.ndarray, photo: np.ndarray, weights: np.ndarray, radius: int) -> np.ndarray:
    """The photo predicted channel by channel from the thumbnail by a weighted guided filter."""
    size = (2 * radius + 1, 2 * radius + 1)

    def mean(values: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(values * weights, -1, size, normalize=False) / np.maximum(total, 1e-3)

    total = cv2.boxFilter(weights, -1, size, normalize=False)
    predicted = np.empty_like(photo)
    for c in range(photo.shape[2]):
        guide, target = thumb[..., c], photo[..., c]
        mean_g, mean_t = mean(guide), mean(target)
        variance = mean(guide * guide) - mean_g * mean_g
        covariance = mean(guide * target) - mean_g * mean_t
        gain = covariance / (np.maximum(variance, 0.0) + TONE_EPSILON)
        offset = mean_t - gain * mean_g
        gain = cv2.blur(gain, size)
        offset = cv2.blur(offset, size)
        predicted[..., c] = gain * guide + offset
    return predicted


def _floor(residual: np.ndarray, valid: np.ndarray, jpeg_floor: float) -> float:
    values = np.abs(residual[valid]).max(axis=1) if valid.any() else np.zeros(1)
    spread = 1.4826 * float(np.median(values))
    return max(MIN_FLOOR, jpeg_floor, spread)


def _chromaticity(rgb: np.ndarray) -> np.ndarray:
    """Red against green and green against blue, each scaled by 255 over the sum of the channels
    plus `COLOUR_DARK`, blurred by `COLOUR_BLUR`."""
    total = rgb.sum(axis=2) + COLOUR_DARK
    planes = np.stack([rgb[..., 0] - rgb[..., 1], rgb[..., 1] - rgb[..., 2]], axis=2) * (255.0 / total[..., None])
    return np.asarray(cv2.GaussianBlur(planes.astype(np.float32), (0, 0), COLOUR_BLUR), dtype=np.float32)


def _strongest_region(
    ratio: np.ndarray, valid: np.ndarray, multiple: float, crop: tuple[float, float, float, float]
) -> Region:
    """Of the regions of judged pixels more than `multiple` floors out (`ratio`: disagreement in
    floors), the one whose disagreement beyond `multiple`, summed, is largest."""
    h, w = ratio.shape
    beyond = np.where(valid, ratio - multiple, 0.0)
    count, labels, stats, _ = cv2.connectedComponentsWithStats((beyond > 0).astype(np.uint8), connectivity=8)
    if count <= 1:
        return Region(0.0, 0.0, 0.0, (0.0, 0.0, 0.0, 0.0), 0)
    judged = max(int(valid.sum()), 1)
    masses = np.bincount(labels.ravel(), weights=np.maximum(beyond, 0.0).ravel(), minlength=count)[1:]
    strongest = 1 + int(np.argmax(masses))
    x, y, bw, bh, area = (int(v) for v in stats[strongest])
    cx0, cy0, cx1, cy1 = crop
    box = (
        cx0 + (cx1 - cx0) * x / w,
        cy0 + (cy1 - cy0) * y / h,
        cx0 + (cx1 - cx0) * (x + bw) / w,
        cy0 + (cy1 - cy0) * (y + bh) / h,
    )
    peak = float(beyond[labels == strongest].max()) + multiple
    return Region(area / judged, peak, float(masses[strongest - 1]) * 1000 / judged, box, count - 1)


def _grey(rgb: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(rgb.mean(axis=2), dtype=np.float32)


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    a = cv2.GaussianBlur(a, (0, 0), 1.0).ravel()
    b = cv2.GaussianBlur(b, (0, 0), 1.0).ravel()
    a, b = a - a.mean(), b - b.mean()
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b) / norm if norm > 1e-6 else 0.0
