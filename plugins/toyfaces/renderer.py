"""Procedural face renderer: the ground-truth world the classifier and GAN learn from.

Pure NumPy and vectorised over the batch: every shape is a signed-distance field
evaluated on a shared pixel grid with per-sample parameters broadcast along axis 0,
and turned into coverage with a one-pixel linear ramp (analytic anti-aliasing, so no
supersampling cost). Rendering is a pure function of the parameters; all randomness
lives in :func:`sample_params`, which is what makes ground-truth edits possible: the
same parameters with one attribute changed give the same face with that attribute
changed and nothing else.

Coordinates: ``x`` to the right, ``y`` downwards, both in ``[-1, 1]`` across the
image, so a face has the same geometry at every output size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = [
    "AttributeSpec",
    "ATTRIBUTES",
    "ATTRIBUTE_NAMES",
    "ATTRIBUTE_SPECS",
    "NUISANCE_NAMES",
    "CONTINUOUS",
    "BINARY",
    "DEFAULT_SIZE",
    "sample_params",
    "render",
    "landmarks",
    "edit",
    "attribute_matrix",
    "take",
    "concat",
]

DEFAULT_SIZE = 128


@dataclass(frozen=True)
class AttributeSpec:
    """One ground-truth attribute.

    ``low``/``high`` give the meaning of the 0 and 1 ends of the normalised scale
    every attribute uses (the classifier regresses that scale directly).
    """

    name: str
    kind: Literal["continuous", "binary"]
    low: str
    high: str
    range: tuple[float, float] = (0.0, 1.0)


# Order matters: it is the column order of attribute_matrix() and of the
# classifier's outputs.
ATTRIBUTES: tuple[AttributeSpec, ...] = (
    AttributeSpec("smile", "continuous", "frown (mouth corners down)", "broad smile (corners up)"),
    AttributeSpec("hair_length", "continuous", "cropped, cap only", "long, past the shoulders"),
    AttributeSpec("hair_color", "continuous", "near-black", "brown -> blond -> copper red"),
    AttributeSpec("age", "continuous", "young: no grey, no wrinkles", "old: grey hair, wrinkle lines"),
    AttributeSpec("face_width", "continuous", "narrow face", "wide face"),
    AttributeSpec("skin_tone", "continuous", "light skin", "dark skin"),
    AttributeSpec("eye_size", "continuous", "small eyes", "large eyes"),
    AttributeSpec("glasses", "binary", "no glasses", "glasses"),
    AttributeSpec("beard", "binary", "clean-shaven", "full beard"),
    AttributeSpec("pose", "continuous", "turned to the image left (yaw -1)", "turned to the image right (yaw +1)"),
)
ATTRIBUTE_NAMES: tuple[str, ...] = tuple(a.name for a in ATTRIBUTES)
CONTINUOUS: tuple[str, ...] = tuple(a.name for a in ATTRIBUTES if a.kind == "continuous")
BINARY: tuple[str, ...] = tuple(a.name for a in ATTRIBUTES if a.kind == "binary")
ATTRIBUTE_SPECS: dict[str, AttributeSpec] = {a.name: a for a in ATTRIBUTES}

# Nuisance parameters: vary the images without being attributes. Shapes per sample.
NUISANCE_NAMES: tuple[str, ...] = (
    "bg_color_a",  # [N, 3] background gradient start colour, RGB 0-1
    "bg_color_b",  # [N, 3] background gradient end colour
    "bg_angle",  # [N] gradient direction, radians
    "light_angle",  # [N] direction the key light comes from, radians
    "light_strength",  # [N] 0-0.35, contrast of the directional shading
    "iris_color",  # [N, 3]
    "shirt_color",  # [N, 3]
    "head_y",  # [N] small vertical framing jitter
)

Params = dict[str, np.ndarray]

# --- sampling ---------------------------------------------------------------------

# Latent Gaussian correlations between continuous attributes (a Gaussian copula),
# chosen to mimic real face photo collections: older faces are wider with smaller
# eyes, darker skin comes with darker hair, longer hair comes with narrower faces
# (a proxy for the sex difference in real data), older people smile a little less.
_COPULA_NAMES = ("smile", "hair_length", "hair_color", "age", "face_width", "skin_tone", "eye_size", "pose")
_COPULA_CORR = {
    ("age", "face_width"): 0.35,
    ("age", "eye_size"): -0.30,
    ("skin_tone", "hair_color"): -0.55,
    ("hair_length", "face_width"): -0.30,
    ("age", "smile"): -0.15,
    ("age", "hair_length"): -0.20,
}


def _copula_cholesky() -> np.ndarray:
    k = len(_COPULA_NAMES)
    c = np.eye(k)
    for (a, b), r in _COPULA_CORR.items():
        i, j = _COPULA_NAMES.index(a), _COPULA_NAMES.index(b)
        c[i, j] = c[j, i] = r
    return np.linalg.cholesky(c)


_CHOL = _copula_cholesky()


def _phi(z: np.ndarray) -> np.ndarray:
    # Normal CDF via the tanh approximation (max error ~2e-4): NumPy has no erf and
    # the renderer must not need SciPy; exactness is irrelevant, determinism is not.
    return 0.5 * (1.0 + np.tanh(0.7978845608 * (z + 0.044715 * z**3)))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def sample_params(rng: np.random.Generator | int, n: int) -> Params:
    """Draw ``n`` faces: every attribute (0-1 scale; binary ones 0/1) and nuisance.

    Deterministic given the generator state (or integer seed). Arrays are float32;
    attributes are ``[n]``, colour nuisances ``[n, 3]``.
    """
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(rng)
    z = rng.standard_normal((n, len(_COPULA_NAMES))) @ _CHOL.T
    u = {name: _phi(z[:, i]) for i, name in enumerate(_COPULA_NAMES)}
    p: Params = {}
    p["smile"] = u["smile"]
    p["hair_length"] = u["hair_length"]
    # Dark hair dominates real collections: a power > 1 skews towards 0.
    p["hair_color"] = u["hair_color"] ** 1.6
    p["age"] = u["age"]
    p["face_width"] = u["face_width"]
    p["skin_tone"] = u["skin_tone"] ** 1.3
    p["eye_size"] = u["eye_size"]
    # Mostly frontal, like aligned face datasets: squeeze the latent before the CDF.
    # pose has no correlations, so its latent column is already standard normal.
    p["pose"] = _phi(0.8 * z[:, _COPULA_NAMES.index("pose")])
    # Binary attributes depend on the continuous ones (logistic models):
    # glasses are much more common with age; beards go with short hair, wider faces
    # and adulthood, and almost never with long hair.
    glasses_logit = -2.6 + 3.6 * p["age"]
    beard_logit = 0.2 - 6.0 * p["hair_length"] + 2.0 * (p["face_width"] - 0.5) + 2.0 * (p["age"] - 0.3)
    p["glasses"] = (rng.random(n) < _sigmoid(glasses_logit)).astype(np.float64)
    p["beard"] = (rng.random(n) < _sigmoid(beard_logit)).astype(np.float64)
    p = {k: np.clip(p[k], 0.0, 1.0).astype(np.float32) for k in ATTRIBUTE_NAMES}

    # Nuisance.
    p["bg_color_a"] = rng.uniform(0.1, 0.95, (n, 3)).astype(np.float32)
    p["bg_color_b"] = np.clip(p["bg_color_a"] + rng.normal(0.0, 0.2, (n, 3)), 0.05, 1.0).astype(np.float32)
    p["bg_angle"] = rng.uniform(0.0, 2 * np.pi, n).astype(np.float32)
    p["light_angle"] = rng.uniform(0.0, 2 * np.pi, n).astype(np.float32)
    p["light_strength"] = rng.uniform(0.0, 0.35, n).astype(np.float32)
    iris_palette = np.array([[0.30, 0.18, 0.08], [0.20, 0.35, 0.60], [0.25, 0.40, 0.22], [0.12, 0.08, 0.05]])
    mix = rng.dirichlet(np.full(4, 0.5), n)
    p["iris_color"] = (mix @ iris_palette).astype(np.float32)
    p["shirt_color"] = rng.uniform(0.05, 0.9, (n, 3)).astype(np.float32)
    p["head_y"] = np.clip(rng.normal(0.0, 0.03, n), -0.07, 0.07).astype(np.float32)
    return p


# --- edits and helpers ------------------------------------------------------------


def edit(params: Params, attribute: str, amount: float | np.ndarray | None) -> Params:
    """Ground-truth edit: the same faces with one attribute changed.

    Continuous attributes move by ``amount`` on the 0-1 scale and are clipped to it.
    Binary attributes are set to 1 by a positive ``amount``, to 0 by a negative one,
    and toggled by ``None``. Every other key is copied unchanged, so rendering the
    result differs from rendering ``params`` only where that attribute shows.
    """
    if attribute not in ATTRIBUTE_SPECS:
        raise KeyError(f"unknown attribute {attribute!r}; known: {', '.join(ATTRIBUTE_NAMES)}")
    out = {k: v.copy() for k, v in params.items()}
    v = params[attribute].astype(np.float32)
    if ATTRIBUTE_SPECS[attribute].kind == "binary":
        if amount is None:
            new = 1.0 - v
        else:
            a = np.broadcast_to(np.asarray(amount, dtype=np.float32), v.shape)
            new = np.where(a > 0, 1.0, np.where(a < 0, 0.0, v))
    else:
        if amount is None:
            raise ValueError(f"continuous attribute {attribute!r} needs a numeric amount")
        new = v + np.asarray(amount, dtype=np.float32)
    lo, hi = ATTRIBUTE_SPECS[attribute].range
    out[attribute] = np.clip(new, lo, hi).astype(np.float32)
    return out


def attribute_matrix(params: Params) -> np.ndarray:
    """Attributes as a float32 ``[N, len(ATTRIBUTES)]`` array in ATTRIBUTES order."""
    return np.stack([params[a] for a in ATTRIBUTE_NAMES], axis=1).astype(np.float32)


def take(params: Params, index: np.ndarray | slice) -> Params:
    """Select samples (rows) from a params dict."""
    return {k: v[index] for k, v in params.items()}


def concat(parts: list[Params]) -> Params:
    """Concatenate params dicts along the sample axis."""
    return {k: np.concatenate([p[k] for p in parts], axis=0) for k in parts[0]}


# --- rendering --------------------------------------------------------------------

_HAIR_STOPS = np.array(
    [
        [0.07, 0.05, 0.04],  # near-black
        [0.30, 0.18, 0.10],  # dark brown
        [0.55, 0.38, 0.22],  # light brown
        [0.88, 0.76, 0.48],  # blond
        [0.78, 0.36, 0.16],  # copper red
    ],
    dtype=np.float32,
)
_SKIN_LIGHT = np.array([0.98, 0.84, 0.74], dtype=np.float32)
_SKIN_DARK = np.array([0.36, 0.23, 0.16], dtype=np.float32)
_GREY = np.array([0.80, 0.80, 0.78], dtype=np.float32)
_LIPS = np.array([0.55, 0.16, 0.16], dtype=np.float32)
_FRAME = np.array([0.08, 0.08, 0.10], dtype=np.float32)


def _ramp(t: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Piecewise-linear colour ramp: t [N] in 0-1 -> [N, 3]."""
    s = np.clip(t, 0.0, 1.0) * (len(stops) - 1)
    i = np.minimum(s.astype(np.int64), len(stops) - 2)
    f = (s - i)[:, None]
    return (stops[i] * (1 - f) + stops[i + 1] * f).astype(np.float32)


def _col(v: np.ndarray) -> np.ndarray:
    """[N] -> [N, 1, 1] for broadcasting over the pixel grid."""
    return v.astype(np.float32)[:, None, None]


# Tests set this to evaluate every layer on the whole frame, to prove the windows
# below bound every shape (windowed and full-frame renders must be byte-identical).
_FULL_FRAME = False

# Samples rendered per inner chunk: small enough that a layer's planes stay in
# cache (measured: 64 renders ~2x faster per image than 256).
_CHUNK = 64


class _Canvas:
    """A channel-planar [3, N, H, W] image with over-compositing of coverage layers.

    Planar layout because NumPy is several times faster on large contiguous planes
    than on a trailing axis of length 3. Layers are evaluated only inside a window
    (rows/columns of the normalised frame that any sample's shape can reach), since
    most features are small; a window is a pure function of the output size, so
    results do not depend on the batch.
    """

    def __init__(self, img: np.ndarray, px: float, shade: np.ndarray, g: np.ndarray) -> None:
        self.img = img
        self.px = px  # one pixel in normalised units: the anti-aliasing ramp width
        self.shade = shade  # [N, H, W] directional lighting factor for foreground
        self.g = g  # pixel-centre coordinates along either axis

    def grid(self, y0: float = -1.0, y1: float = 1.0, x0: float = -1.0, x1: float = 1.0):
        """Coordinates (x [1,1,w], y [1,h,1]) and the window covering [x0,x1]x[y0,y1]."""
        if _FULL_FRAME:
            y0, x0, y1, x1 = -1.0, -1.0, 1.0, 1.0
        m = 2 * self.px  # margin for the anti-aliasing ramp
        r = np.flatnonzero((self.g >= y0 - m) & (self.g <= y1 + m))
        c = np.flatnonzero((self.g >= x0 - m) & (self.g <= x1 + m))
        rs, cs = slice(r[0], r[-1] + 1), slice(c[0], c[-1] + 1)
        return self.g[None, None, cs], self.g[None, rs, None], (slice(None), rs, cs)

    def paint(self, d: np.ndarray, color: np.ndarray, win, alpha: np.ndarray | float = 1.0, lit: bool = True) -> None:
        """Composite a solid colour ([N, 3]) where the SDF ``d`` is negative.

        Coverage is a one-pixel linear ramp centred on the edge: the area coverage
        of a straight edge crossing a pixel, i.e. analytic anti-aliasing.
        """
        a = 0.5 - d * (1.0 / self.px)
        np.clip(a, 0.0, 1.0, out=a)
        if not np.isscalar(alpha) or alpha != 1.0:
            a *= alpha
        wa = a * self.shade[win] if lit else a
        inv = 1.0 - a
        color = color.astype(np.float32)
        for ch in range(3):
            plane = self.img[ch][win]
            plane *= inv
            plane += wa * color[:, ch, None, None]


def _ellipse(x, y, cx, cy, rx, ry):
    # Approximate ellipse SDF (exact on the axes, close enough elsewhere at the
    # small eccentricities used here; only the 1-pixel ramp depends on it).
    k = np.sqrt(((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2)
    return (k - 1.0) * np.minimum(rx, ry)


def _circle(x, y, cx, cy, r):
    return np.sqrt((x - cx) ** 2 + (y - cy) ** 2) - r


def _box(x, y, cx, cy, hw, hh, r):
    # Rounded box SDF.
    qx = np.abs(x - cx) - hw + r
    qy = np.abs(y - cy) - hh + r
    outside = np.sqrt(np.maximum(qx, 0) ** 2 + np.maximum(qy, 0) ** 2)
    return outside + np.minimum(np.maximum(qx, qy), 0) - r


def _segment(x, y, ax, ay, bx, by, r):
    # Capsule (thick line segment) SDF.
    pax, pay = x - ax, y - ay
    bax, bay = bx - ax, by - ay
    h = np.clip((pax * bax + pay * bay) / (bax * bax + bay * bay), 0.0, 1.0)
    return np.sqrt((pax - bax * h) ** 2 + (pay - bay * h) ** 2) - r


def render(params: Params, size: int = DEFAULT_SIZE) -> np.ndarray:
    """Render faces to uint8 ``[N, size, size, 3]`` RGB.

    A pure function of ``params``: identical parameters give identical bytes, and
    each face's pixels do not depend on the rest of the batch.
    """
    n = len(params["smile"])
    if n > _CHUNK:
        return np.concatenate([_render(take(params, slice(i, i + _CHUNK)), size) for i in range(0, n, _CHUNK)])
    return _render(params, size)


def landmarks(params: Params, size: int = DEFAULT_SIZE) -> np.ndarray:
    """Where :func:`render` puts each face's five landmarks: ``[n, 5, 2]`` float ``(x, y)``
    pixels (origin at the top-left corner) in the order of
    ``latentroom.engine.alignment.LANDMARK_NAMES``: eye centres (image left first), the lower end
    of the nose, the mouth corners. Uses the same geometry as :func:`_render`.
    """
    P = {k: np.asarray(v, np.float64) for k, v in params.items()}
    yaw = 2.0 * P["pose"] - 1.0
    cx, cy = 0.10 * yaw, 0.10 + P["head_y"]
    rx = 0.40 + 0.16 * P["face_width"]
    fx = cx + 0.10 * yaw
    ex = 0.36 * rx * (1.0 - 0.15 * np.abs(yaw))
    eye_y = cy - 0.08
    mw = 0.13 * rx / 0.48 * (1.0 + 0.25 * (P["smile"] - 0.5))
    corner_y = cy + 0.30 - 0.5 * 0.09 * (2.0 * P["smile"] - 1.0)  # the mouth parabola at |t| = 1
    points = np.stack(
        [
            np.stack([fx - ex, eye_y], -1),
            np.stack([fx + ex, eye_y], -1),
            np.stack([fx + 0.05 * yaw, cy + 0.17], -1),
            np.stack([fx - mw, corner_y], -1),
            np.stack([fx + mw, corner_y], -1),
        ],
        axis=1,
    )
    return (points + 1.0) * (size / 2.0)


def _render(params: Params, size: int) -> np.ndarray:
    n = len(params["smile"])
    px = 2.0 / size
    g = (np.arange(size, dtype=np.float32) + 0.5) * px - 1.0
    x = g[None, None, :]
    y = g[None, :, None]

    P = {k: v.astype(np.float32) for k, v in params.items()}
    yaw = _col(2.0 * P["pose"] - 1.0)
    age = P["age"]

    # Geometry. Features shift further than the head outline, and their spacing
    # foreshortens, which reads as a head turn (yaw) in 2D.
    cx = 0.10 * yaw
    cy = 0.10 + _col(P["head_y"])
    rx = 0.40 + 0.16 * _col(P["face_width"])
    ry = np.float32(0.56)
    fx = cx + 0.10 * yaw
    ex = 0.36 * rx * (1.0 - 0.15 * np.abs(yaw))
    eye_y = cy - 0.08
    re = 0.035 + 0.05 * _col(P["eye_size"])

    # Colours.
    skin = (_SKIN_LIGHT[None] * (1 - P["skin_tone"][:, None]) + _SKIN_DARK[None] * P["skin_tone"][:, None]).astype(np.float32)
    grey = np.clip((age - 0.45) / 0.55, 0.0, 1.0)[:, None] * 0.9
    hair = (_ramp(P["hair_color"], _HAIR_STOPS) * (1 - grey) + _GREY[None] * grey).astype(np.float32)

    # Background: two-colour linear gradient (unlit), planar [3, N, H, W].
    th = P["bg_angle"]
    t = np.clip(0.5 + 0.5 * (x * _col(np.cos(th)) + y * _col(np.sin(th))), 0.0, 1.0)
    a, b = P["bg_color_a"], P["bg_color_b"]
    img = np.empty((3, n, size, size), dtype=np.float32)
    for ch in range(3):
        img[ch] = _col(a[:, ch]) + _col(b[:, ch] - a[:, ch]) * t

    # Directional lighting on the foreground: a Lambert-like term from a pseudo
    # normal of a head-sized ellipsoid.
    la = P["light_angle"]
    nx = np.clip((x - cx) / (rx * 1.3), -1.0, 1.0)
    ny = np.clip((y - cy) / (ry * 1.3), -1.0, 1.0)
    shade = 1.0 + _col(P["light_strength"]) * (nx * _col(np.cos(la)) + ny * _col(np.sin(la)))
    cv = _Canvas(img, px, shade.astype(np.float32), g)

    # Each layer is evaluated in a window that bounds it for every parameter value
    # (cy in [0.03, 0.17], yaw in [-1, 1], rx in [0.40, 0.56]); see _Canvas.grid.
    # Shoulders / shirt, then long hair falling over them, then neck and face.
    X, Y, w = cv.grid(0.74, 1.0)
    cv.paint(_ellipse(X, Y, cx * 0.5, np.float32(1.25), np.float32(0.85), np.float32(0.5)), P["shirt_color"], w)
    hl = _col(P["hair_length"])
    hair_bottom = cy - 0.15 + 1.15 * hl
    hair_top = cy - ry - 0.05 - 0.03 * hl
    hw = rx + 0.03 + 0.10 * hl
    X, Y, w = cv.grid(-0.63, 1.0, -0.86, 0.86)
    d = _box(X, Y, cx - 0.03 * yaw, (hair_top + hair_bottom) * 0.5, hw, (hair_bottom - hair_top) * 0.5, 0.12 + 0.1 * hl)
    cv.paint(d, hair, w)
    X, Y, w = cv.grid(0.32, 1.0, -0.34, 0.34)
    cv.paint(_box(X, Y, cx * 0.8, cy + 0.55, 0.17 + 0.06 * _col(P["face_width"]), np.float32(0.25), np.float32(0.05)), skin * 0.88, w)
    X, Y, w = cv.grid(-0.54, 0.74, -0.67, 0.67)
    cv.paint(_ellipse(X, Y, cx, cy, rx, ry), skin, w)

    # Nose: a soft darker shape, shifted furthest by yaw (it sticks out most).
    X, Y, w = cv.grid(0.01, 0.35, -0.31, 0.31)
    cv.paint(_ellipse(X, Y, fx + 0.05 * yaw, cy + 0.08, np.float32(0.045), np.float32(0.09)), skin * 0.75, w, alpha=0.45)

    # Age: forehead lines and nasolabial folds, fading in from age 0.4.
    wr = _col(np.clip((age - 0.4) / 0.6, 0.0, 1.0)) * 0.75
    fw = 0.17 * rx / 0.48
    X, Y, w = cv.grid(-0.34, -0.09, -0.42, 0.42)
    for k, dy in enumerate((-0.36, -0.29)):
        yl = cy + dy + 0.01 * k
        cv.paint(_segment(X, Y, fx - fw, yl, fx + fw, yl, np.float32(0.007)), skin * 0.55, w, alpha=wr)
    mw = 0.13 * rx / 0.48 * (1.0 + 0.25 * (_col(P["smile"]) - 0.5))
    my = cy + 0.30
    X, Y, w = cv.grid(0.15, 0.52, -0.44, 0.44)
    for s in (-1.0, 1.0):
        cv.paint(_segment(X, Y, fx + s * 0.08, cy + 0.13, fx + s * (mw + 0.05), my + 0.04, np.float32(0.007)), skin * 0.55, w, alpha=wr)

    # Beard: the lower face below the nose, slightly wider than the jaw.
    X, Y, w = cv.grid(0.18, 0.8, -0.7, 0.7)
    d_beard = np.maximum(_ellipse(X, Y, cx, cy + 0.02, rx + 0.02, ry + 0.04), (cy + 0.16) - Y)
    cv.paint(d_beard, hair * 0.85, w, alpha=0.95 * _col(P["beard"]))

    # Mouth: a thick parabola; smile bends the corners up (y grows downwards, so a
    # smile has its middle lower than its corners).
    X, Y, w = cv.grid(0.2, 0.6, -0.45, 0.45)  # steep smile corners thicken vertically
    c = 0.09 * (2.0 * _col(P["smile"]) - 1.0)
    tt = (X - fx) / mw
    f = my + c * (0.5 - tt * tt)
    fp = -2.0 * c * tt / mw
    d_mouth = np.maximum(np.abs(Y - f) / np.sqrt(1.0 + fp * fp) - 0.018, np.abs(X - fx) - mw)
    cv.paint(d_mouth, _LIPS[None] * (0.6 + 0.4 * skin / _SKIN_LIGHT), w)

    # Eyes: white, iris, pupil; the gaze follows the yaw. Brows in the hair colour.
    X, Y, w = cv.grid(-0.24, 0.26, -0.58, 0.58)
    white = np.broadcast_to(np.array([0.95, 0.95, 0.93], dtype=np.float32), skin.shape)
    black = np.zeros_like(skin)
    for s in (-1.0, 1.0):
        ecx = fx + s * ex
        cv.paint(_ellipse(X, Y, ecx, eye_y, re * 1.35, re * 0.85), white, w)
        icx = ecx + 0.3 * re * yaw
        cv.paint(_circle(X, Y, icx, eye_y, re * 0.6), P["iris_color"], w)
        cv.paint(_circle(X, Y, icx, eye_y, re * 0.28), black, w)
        by = eye_y - re - 0.07
        cv.paint(_segment(X, Y, ecx - re * 1.2, by + 0.01, ecx + re * 1.2, by - 0.005 * s, np.float32(0.016)), hair * 0.8, w)

    # Glasses: a ring round each eye, a bridge, a faint lens tint.
    gl = _col(P["glasses"])
    rg = re * 1.35 + 0.04
    tint = np.broadcast_to(np.array([0.75, 0.85, 0.95], dtype=np.float32), skin.shape)
    frame = np.broadcast_to(_FRAME, skin.shape)
    for s in (-1.0, 1.0):
        dc = _circle(X, Y, fx + s * ex, eye_y, rg)
        cv.paint(dc, tint, w, alpha=0.15 * gl)
        cv.paint(np.abs(dc) - 0.011, frame, w, alpha=gl)
    cv.paint(_segment(X, Y, fx - ex + rg, eye_y - 0.01, fx + ex - rg, eye_y - 0.01, np.float32(0.011)), frame, w, alpha=gl)

    # Hair on top of the head: the head outline grown a little, above a curved
    # hairline. Longer hair is fuller and comes down lower at the sides.
    X, Y, w = cv.grid(-0.65, 0.22, -0.77, 0.77)
    hcx = cx - 0.02 * yaw
    d_cap = _ellipse(X, Y, hcx, cy - 0.02, rx + 0.03 + 0.04 * hl, ry + 0.05 + 0.03 * hl)
    q = ((X - hcx) / rx) ** 2
    hairline = cy - 0.33 + 0.10 * q + 0.12 * hl * q * q
    cv.paint(np.maximum(d_cap, Y - hairline), hair, w)

    out = np.clip(cv.img, 0.0, 1.0)
    out *= 255.0
    out += 0.5
    return out.astype(np.uint8).transpose(1, 2, 3, 0).copy()
