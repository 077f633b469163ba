"""Periodic peaks in the spectrum: the moiré and pixel grid of a photo taken of a screen.

A screen is a regular grid of sub-pixels. Photographed, that grid beats against the camera's own
sensor grid and leaves moiré: strong, narrow peaks in the 2-D Fourier spectrum standing far above
the smooth 1/f fall-off of natural scenes. The measurement: log-magnitude spectrum of the centre of
the working copy (luma and a red-blue chroma channel, where moiré shows as rainbow bands), minus a
local average of itself; the strongest excess in the mid-to-high frequency band, away from the two
axes (where JPEG block edges and straight man-made edges put their energy), in decibels.

A finely printed or woven product (a stripe, a check, a monogram, a knit) repeats too, and its peaks
stand as high. But a print's motif is not a sine: its spectrum is a fundamental with harmonics, and
the peak found is often a harmonic whose fundamental lies at a whole fraction of its frequency. A
screen's pixel grid reaches the photo through the lens's blur and the camera's sampling as a near
sine with no peak at those fractions. So each reading also gives the strongest excess at 1/2 ..
1/`FUNDAMENTAL_DIVISORS` of the peak's frequency whose multiple is the peak: a screen showing a
print has the print's own peaks near those fractions too, but the moiré is no multiple of them
(docs/measurements/integrity.md, 2026-12-07).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image

CROP = 256
MIN_SIDE = 128
BAND = (0.08, 0.46)  # cycles per pixel of the working copy
AXIS_GUARD = 3  # frequency bins either side of the axes that are ignored
BACKGROUND_KERNEL = 9
# A print's peak is looked at as up to its 5th harmonic: further fractions land among the scene's own
# low frequencies, where photos of screens stood up to 15 dB by chance (none above 12 to the 5th;
# measured before the multiple had to land on the peak, which leaves them 0-4 dB).
FUNDAMENTAL_DIVISORS = 5
# Fractions nearer the centre than this (periods over half the patch) sit on the steep low-frequency
# slope, where the local average is no background to stand above.
MIN_FUNDAMENTAL_BINS = 2.0
# How far (in bins) the fundamental's multiple may land from the peak. A drawn print's harmonic lands
# within 0.2 bins (both refined to a fraction of a bin); a screen showing a print has the print's
# own peaks near those fractions by chance, but their multiples miss the moiré by 1.5 bins or more
# (docs/measurements/integrity.md, 2026-12-07, review).
HARMONIC_TOLERANCE_BINS = 0.5


@dataclass(frozen=True)
class PeakReading:
    peak_db: float  # strongest excess over the local spectrum, luma or chroma
    channel: str  # "luma" or "chroma"
    frequency: float  # cycles per pixel of the strongest peak
    peaks: int  # how many bins stand more than half the top excess above their surroundings
    fundamental_db: float  # strongest excess at a whole fraction of the peak's frequency, the peak its multiple (or 0)

    def as_details(self) -> dict[str, object]:
        return {
            "peak_db": round(self.peak_db, 1),
            "channel": self.channel,
            "frequency": round(self.frequency, 3),
            "peaks": self.peaks,
            "fundamental_db": round(self.fundamental_db, 1),
        }


def periodic_peaks(working: Image.Image) -> PeakReading | None:
    """The strongest periodic peak of the working copy, or None when it is too small to tell."""
    width, height = working.size
    side = min(CROP, height, width)
    if side < MIN_SIDE:
        return None
    side -= side % 2
    top, left = (height - side) // 2, (width - side) // 2
    patch = np.asarray(working.crop((left, top, left + side, top + side)), dtype=np.float32)
    luma = patch @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    chroma = patch[..., 0] - patch[..., 2]
    best: PeakReading | None = None
    for name, channel in (("luma", luma), ("chroma", chroma)):
        reading = _peaks(channel, name)
        if best is None or reading.peak_db > best.peak_db:
            best = reading
    return best


@lru_cache(maxsize=8)
def _geometry(side: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Window, radial frequency and band mask of a square patch: the same for every photo."""
    hann = np.hanning(side).astype(np.float32)
    freq = np.fft.fftshift(np.fft.fftfreq(side)).astype(np.float32)
    fy, fx = np.meshgrid(freq, freq, indexing="ij")
    radius = np.hypot(fx, fy)
    away = np.abs(np.arange(side) - side // 2) > AXIS_GUARD
    mask = (radius >= BAND[0]) & (radius <= BAND[1]) & away[:, None] & away[None, :]
    return np.outer(hann, hann), radius, mask


def _peaks(channel: np.ndarray, name: str) -> PeakReading:
    window, radius, mask = _geometry(channel.shape[0])
    # OpenCV's float32 DFT is an order of magnitude faster than numpy's float64 one here.
    planes = cv2.dft(np.ascontiguousarray((channel - channel.mean()) * window), flags=cv2.DFT_COMPLEX_OUTPUT)
    magnitude = np.fft.fftshift(cv2.magnitude(planes[..., 0], planes[..., 1]))
    level = 20.0 * np.log10(magnitude + 1e-3, dtype=np.float32)
    background = cv2.blur(level, (BACKGROUND_KERNEL, BACKGROUND_KERNEL), borderType=cv2.BORDER_REFLECT)
    excess = level - background
    values = np.where(mask, excess, -np.inf)
    flat = int(np.argmax(values))
    top = float(values.flat[flat])
    peaks = int(np.count_nonzero(values > top / 2)) if top > 0 else 0
    return PeakReading(top, name, float(radius.flat[flat]), peaks, _fundamental(level, excess, flat))


def _fundamental(level: np.ndarray, excess: np.ndarray, flat: int) -> float:
    """The strongest excess at 1/2 .. 1/FUNDAMENTAL_DIVISORS of the frequency at `flat` whose multiple
    is that frequency: the strongest bin either side of each fraction (it falls between bins), kept
    when, both refined to a fraction of a bin, its multiple lands within HARMONIC_TOLERANCE_BINS of it."""
    side = excess.shape[0]
    centre = side // 2
    peak_y, peak_x = divmod(flat, side)
    dy, dx = peak_y - centre, peak_x - centre
    exact_y, exact_x = _refined(level, peak_y, peak_x)
    strongest = 0.0
    for divisor in range(2, FUNDAMENTAL_DIVISORS + 1):
        if np.hypot(dy, dx) / divisor < MIN_FUNDAMENTAL_BINS:
            break
        y, x = centre + round(dy / divisor) - 1, centre + round(dx / divisor) - 1
        around = excess[y : y + 3, x : x + 3]
        below, across = divmod(int(np.argmax(around)), 3)
        at_y, at_x = _refined(level, y + below, x + across)
        miss = np.hypot(divisor * (at_y - centre) - (exact_y - centre), divisor * (at_x - centre) - (exact_x - centre))
        if miss <= HARMONIC_TOLERANCE_BINS:
            strongest = max(strongest, float(around[below, across]))
    return strongest


def _refined(level: np.ndarray, y: int, x: int) -> tuple[float, float]:
    """A peak's place to a fraction of a bin: the top of a parabola through it and its neighbours,
    down and across, at most half a bin away (a bin at the edge, or in a trough, stays where it is)."""
    return y + _vertex(level[y - 1 : y + 2, x]), x + _vertex(level[y, x - 1 : x + 2])


def _vertex(three: np.ndarray) -> float:
    if three.size < 3:
        return 0.0
    before, middle, after = (float(value) for value in three)
    curve = before - 2 * middle + after
    return float(np.clip(0.5 * (before - after) / curve, -0.5, 0.5)) if curve < 0 else 0.0
