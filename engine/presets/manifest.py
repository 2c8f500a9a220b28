"""The ``preset.json`` schema (version 1) and its hand-written validator.

The validator collects every problem it finds instead of stopping at the first, so a
bundle author fixes a broken manifest in one round; each message is a JSON path plus
what was expected and what was found (``model.sha256: expected 64 lowercase hex
digits, got 'abc'``). docs/preset-format.md documents the same rules; keep the two in
step.
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable

from latentroom.engine import limits
from latentroom.engine.alignment import ALIGNMENT_RULES, LANDMARK_NAMES
from latentroom.engine.errors import PresetError

SCHEMA_VERSION = 1
"""The only manifest schema version this engine reads (and the one it writes)."""

MANIFEST_FILE = "preset.json"
PREVIEW_FILE = "preview.png"
PACKED_SUFFIX = ".lrpreset"

# Always matched with fullmatch: "$" would also match before a trailing newline.
NAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
SHA256_RE = re.compile(r"[0-9a-f]{64}")
# A bundle member is a plain file name: no directories, so nothing can point outside.
FILE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
# Shown in listings and used in file names by users, so no separators (semver fits: 1.0.0-rc.1+b5).
VERSION_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+_-]{0,63}")

Check = Callable[[Any], "str | None"]


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else _type_name(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def is_finite_number(value: Any) -> bool:
    """A JSON number that is a real, finite value (not a bool, NaN or infinity)."""
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _Validator:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, path: str, expected: str, value: Any) -> None:
        self.problems.append(f"{path}: expected {expected}, got {_show(value)}")

    def obj(
        self,
        data: Any,
        path: str,
        required: dict[str, Callable[[Any, str], None]],
        optional: dict[str, Callable[[Any, str], None]] | None = None,
    ) -> None:
        """Check an object with fixed keys; ``x-`` prefixed keys are free extensions."""
        if not isinstance(data, dict):
            self.fail(path or "manifest", "an object", data)
            return
        optional = optional or {}
        prefix = f"{path}." if path else ""
        for key, check in required.items():
            if key not in data:
                self.problems.append(f"{prefix}{key}: required key is missing")
            else:
                check(data[key], prefix + key)
        for key, check in optional.items():
            if key in data:
                check(data[key], prefix + key)
        for key in data:
            if key not in required and key not in optional and not str(key).startswith("x-"):
                # Unknown keys are most often typos ("stregth"); rejecting them beats
                # silently ignoring a setting the author thinks is in effect.
                self.problems.append(
                    f"{prefix}{key}: unknown key (extensions must start with 'x-')"
                )

    # Leaf checks: each takes (value, path).
    def string(self, value: Any, path: str, *, allow_empty: bool = True) -> None:
        if not isinstance(value, str) or (not allow_empty and not value.strip()):
            self.fail(path, "a string" if allow_empty else "a non-empty string", value)

    def nonempty(self, value: Any, path: str) -> None:
        self.string(value, path, allow_empty=False)

    def matches(self, value: Any, path: str, pattern: re.Pattern[str], expected: str) -> None:
        # fullmatch: the whole string, so "smile\n" is not the name "smile".
        if not isinstance(value, str) or not pattern.fullmatch(value):
            self.fail(path, expected, value)

    def name(self, value: Any, path: str) -> None:
        expected = "a name of 1-64 characters from a-z, 0-9, '.', '_', '-' starting with a letter or digit"
        self.matches(value, path, NAME_RE, expected)

    def version(self, value: Any, path: str) -> None:
        expected = "a version of 1-64 characters from A-Z, a-z, 0-9, '.', '+', '_', '-' starting with a letter or digit"
        self.matches(value, path, VERSION_RE, expected)

    def sha256(self, value: Any, path: str, *, nullable: bool = False) -> None:
        if nullable and value is None:
            return
        if not isinstance(value, str) or not SHA256_RE.fullmatch(value):
            self.fail(path, "64 lowercase hex digits" + (" or null" if nullable else ""), value)

    def file(self, value: Any, path: str) -> None:
        if not isinstance(value, str) or not FILE_RE.fullmatch(value) or value == MANIFEST_FILE:
            self.fail(path, "a plain file name inside the bundle (no directories)", value)

    def names(self, value: Any, path: str) -> None:
        if not isinstance(value, list) or not 0 < len(value) <= limits.MAX_MODEL_NAMES:
            self.fail(path, f"a non-empty array of at most {limits.MAX_MODEL_NAMES} strings", value)
            return
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item:
                self.fail(f"{path}[{i}]", "a non-empty string", item)
        if len(set(map(str, value))) != len(value):
            self.problems.append(f"{path}: names must be unique")


MIN_EYE_DISTANCE = 2.0
"""Template eyes closer than this (pixels) cannot fix a scale or a rotation."""


def _point(v: _Validator, value: Any, path: str, limit: float | None) -> list[float] | None:
    """An ``[x, y]`` pixel position inside ``[0, limit]`` (when the resolution is known)."""
    if not isinstance(value, list) or len(value) != 2 or not all(is_finite_number(c) for c in value):
        v.fail(path, "an array of two numbers [x, y]", value)
        return None
    if limit is not None and not all(0 <= c <= limit for c in value):
        v.fail(path, f"a position inside the {limit:g}x{limit:g} frame (0..{limit:g})", value)
        return None
    return [float(c) for c in value]


def _check_landmarks(v: _Validator, value: Any, path: str, limit: float | None) -> None:
    v.obj(value, path, {name: lambda x, p: None for name in LANDMARK_NAMES})
    if not isinstance(value, dict):
        return
    points = {n: _point(v, value[n], f"{path}.{n}", limit) for n in LANDMARK_NAMES if n in value}
    if any(points.get(n) is None for n in LANDMARK_NAMES):
        return
    (lx, ly), (rx, ry) = points["left_eye"], points["right_eye"]
    if rx - lx < MIN_EYE_DISTANCE:
        v.problems.append(
            f"{path}: expected right_eye at least {MIN_EYE_DISTANCE:g} px right of left_eye "
            f"(left is the image's left), got x {lx:g} and {rx:g}"
        )
    mouth_y = (points["mouth_left"][1] + points["mouth_right"][1]) / 2
    if not mouth_y > (ly + ry) / 2:
        v.problems.append(
            f"{path}: expected the mouth corners below the eyes, got mouth y {mouth_y:g}, eyes y {(ly + ry) / 2:g}"
        )


def _check_mask(v: _Validator, value: Any, path: str, limit: float | None) -> None:
    def radii(x: Any, p: str) -> None:
        top = 2 * limit if limit is not None else math.inf
        if not isinstance(x, list) or len(x) != 2 or not all(is_finite_number(c) and 0 < c <= top for c in x):
            v.fail(p, "an array of two numbers [rx, ry], each > 0" + (f" and <= {top:g}" if limit else ""), x)

    def feather(x: Any, p: str) -> None:
        top = limit if limit is not None else math.inf
        if not is_finite_number(x) or not 0 <= x <= top:
            v.fail(p, "a number of pixels >= 0" + (f" and <= {top:g}" if limit else ""), x)

    v.obj(value, path, {"center": lambda x, p: _point(v, x, p, limit), "radii": radii, "feather": feather})


def check_alignment(v: _Validator, value: Any, path: str, resolution: int | None) -> None:
    """The optional ``alignment`` section: where the face sits in the R x R frame.

    ``landmarks`` are the canonical positions (pixels, origin at the frame's top-left
    corner) a detected face is mapped onto; ``rule`` says how that similarity is fitted;
    ``mask`` is the feathered ellipse outside which the photo is never changed.
    """

    def rule(x: Any, p: str) -> None:
        if x not in ALIGNMENT_RULES:
            v.fail(p, " or ".join(repr(r) for r in ALIGNMENT_RULES), x)

    limit = float(resolution) if resolution is not None else None
    v.obj(
        value,
        path,
        {
            "landmarks": lambda x, p: _check_landmarks(v, x, p, limit),
            "rule": rule,
            "mask": lambda x, p: _check_mask(v, x, p, limit),
        },
        {"aligner": v.name},
    )


def alignment_problems(section: Any, resolution: int) -> list[str]:
    """Every problem with an ``alignment`` section for a model of ``resolution`` (empty
    list: valid), as :func:`validate_manifest` would report it: for checking a template
    before the manifest that will hold it exists (``author --alignment``)."""
    v = _Validator()
    check_alignment(v, section, "alignment", resolution)
    return v.problems


def _version_problems(data: Any) -> list[str]:
    """Problems that stop validation before the sections: not an object, or a schema
    version this engine does not read (everything else depends on the version)."""
    if not isinstance(data, dict):
        return [f"manifest: expected an object, got {_show(data)}"]
    version = data.get("schema_version")
    if "schema_version" not in data:
        return ["schema_version: required key is missing"]
    if not _is_int(version):
        return [f"schema_version: expected an integer, got {_show(version)}"]
    if version != SCHEMA_VERSION:
        newer = " (written by a newer latentroom; upgrade to read it)" if version > SCHEMA_VERSION else ""
        return [
            f"schema_version: unknown version {version}; this latentroom reads "
            f"version {SCHEMA_VERSION}{newer}"
        ]
    return []


def _unchecked(value: Any, path: str) -> None:
    """For keys checked elsewhere (``schema_version`` before, ``alignment`` after)."""


class _ManifestValidator(_Validator):
    """The section checks of schema version 1; each takes ``(value, path)``."""

    def int_range(self, minimum: int, maximum: int) -> Callable[[Any, str], None]:
        def check(value: Any, path: str) -> None:
            if not _is_int(value) or not minimum <= value <= maximum:
                self.fail(path, f"an integer from {minimum} to {maximum}", value)

        return check

    def enum(self, *choices: str) -> Callable[[Any, str], None]:
        def check(value: Any, path: str) -> None:
            if value not in choices:
                self.fail(path, " or ".join(repr(c) for c in choices), value)

        return check

    def number(self, value: Any, path: str) -> None:
        if not is_finite_number(value) or abs(value) > limits.MAX_MODEL_VALUE:
            self.fail(path, f"a number within ±{limits.MAX_MODEL_VALUE:g}", value)

    def model(self, value: Any, path: str) -> None:
        self.obj(value, path, {"file": self.file, "sha256": self.sha256, "inputs": self.names,
                               "outputs": self.names, "opset": self.int_range(7, limits.MAX_OPSET)})

    def value_range(self, value: Any, path: str) -> None:
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(is_finite_number(x) and abs(x) <= limits.MAX_MODEL_VALUE for x in value)
        ):
            self.fail(path, f"an array of two numbers [low, high] within ±{limits.MAX_MODEL_VALUE:g}", value)
        elif not value[0] < value[1]:
            self.fail(path, "low < high", value)

    def io(self, value: Any, path: str) -> None:
        self.obj(value, path, {"resolution": self.int_range(8, limits.MAX_RESOLUTION),
                               "value_range": self.value_range, "channel_order": self.enum("RGB", "BGR"),
                               "layout": self.enum("NCHW", "NHWC")})

    def strength(self, value: Any, path: str) -> None:
        if value is None:
            return
        self.obj(value, path, {"input": self.nonempty, "min": self.number, "max": self.number,
                               "default": self.number})
        if isinstance(value, dict) and all(is_finite_number(value.get(k)) for k in ("min", "max", "default")):
            if not value["min"] <= value["default"] <= value["max"]:
                self.problems.append(
                    f"{path}: expected min <= default <= max, got "
                    f"min={value['min']}, default={value['default']}, max={value['max']}"
                )

    def layers(self, value: Any, path: str) -> None:
        if value is None:
            return
        top = limits.MAX_LAYER_INDEX
        if (
            not isinstance(value, list)
            or len(value) > top + 1
            or not all(_is_int(x) and 0 <= x <= top for x in value)
        ):
            self.fail(path, f"an array of integers from 0 to {top}, or null", value)

    def provenance(self, value: Any, path: str) -> None:
        self.obj(value, path, {"generator": self.nonempty,
                               "generator_weights_sha256": lambda x, p: self.sha256(x, p, nullable=True),
                               "direction_source": self.nonempty, "attribute": self.nonempty,
                               "layers": self.layers})

    def metrics(self, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            self.fail(path, "an object of measured numbers", value)
            return
        for key, item in value.items():
            if not is_finite_number(item):
                self.fail(f"{path}.{key}", "a finite number", item)

    def requires(self, value: Any, path: str) -> None:
        if not isinstance(value, list):
            self.fail(path, "an array of {name, version} objects", value)
            return
        for i, item in enumerate(value):
            self.obj(item, f"{path}[{i}]", {"name": self.nonempty, "version": self.nonempty})

    def sections(self, data: dict[str, Any]) -> None:
        """Every top-level key: required ones present, each section well formed, no unknown keys."""
        self.obj(
            data,
            "",
            {"schema_version": _unchecked, "name": self.name, "title": self.nonempty,
             "description": self.string, "version": self.version, "author": self.string,
             "license": self.nonempty, "model": self.model, "io": self.io, "strength": self.strength,
             "provenance": self.provenance, "metrics": self.metrics, "requires_plugins": self.requires},
            {"preview": self.file, "alignment": _unchecked},
        )

    def alignment_section(self, data: dict[str, Any]) -> None:
        """The optional face template, checked against ``io.resolution`` when that is valid."""
        if "alignment" not in data:
            return
        resolution = data.get("io", {}).get("resolution") if isinstance(data.get("io"), dict) else None
        check_alignment(self, data["alignment"], "alignment", resolution if _is_int(resolution) else None)

    def model_inputs(self, data: dict[str, Any]) -> None:
        """Cross-field rule, once the pieces are well formed: the strength input is one of
        ``model.inputs`` and exactly one other input (the image) remains."""
        m, s = data.get("model"), data.get("strength")
        if not (isinstance(m, dict) and isinstance(m.get("inputs"), list)):
            return
        inputs = [x for x in m["inputs"] if isinstance(x, str)]
        strength_input = s.get("input") if isinstance(s, dict) else None
        if isinstance(strength_input, str) and strength_input and strength_input not in inputs:
            self.problems.append(f"strength.input: {strength_input!r} is not one of model.inputs {inputs}")
        image_inputs = [x for x in inputs if x != strength_input]
        if len(image_inputs) != 1:
            self.problems.append(
                "model.inputs: expected exactly one image input besides the strength "
                f"input, got {image_inputs}"
            )


def validate_manifest(data: Any) -> list[str]:
    """Return every problem with a parsed ``preset.json`` (empty list: valid).

    Checks types, required keys, unknown keys, the schema version and the
    cross-field rules (strength input listed in ``model.inputs``, ``min <= default <=
    max``, ...). It does not touch files; :func:`latentroom.engine.presets.bundle.read_bundle`
    checks the model checksum.
    """
    early = _version_problems(data)
    if early:
        return early
    v = _ManifestValidator()
    v.sections(data)
    v.alignment_section(data)
    v.model_inputs(data)
    return v.problems


def check_manifest(data: Any, where: str) -> dict[str, Any]:
    """Validate and return ``data``, or raise :class:`PresetError` naming ``where``."""
    problems = validate_manifest(data)
    if problems:
        raise PresetError(format_problems(where, problems))
    return data


def format_problems(where: str, problems: list[str]) -> str:
    if len(problems) == 1:
        return f"{where}: invalid preset.json: {problems[0]}"
    lines = "\n".join(f"  - {p}" for p in problems)
    return f"{where}: invalid preset.json ({len(problems)} problems):\n{lines}"


def image_input_name(manifest: dict[str, Any]) -> str:
    """The model input that takes images (every input except the strength input)."""
    strength = manifest.get("strength")
    strength_input = strength["input"] if strength else None
    return next(n for n in manifest["model"]["inputs"] if n != strength_input)


def quality_label(metrics: dict[str, float]) -> str:
    """A readable quality label from a manifest's ``metrics``.

    Recognised keys, thresholds for excellent / good / fair (else poor), and what they
    measure (docs/distillation.md, "Quality labels"):

    * ``psnr`` (dB, student vs teacher on held-out pairs): 32 / 27 / 22;
    * ``lpips`` (lower is better): 0.05 / 0.12 / 0.25; ``ssim``: 0.95 / 0.88 / 0.75;
    * ``target_ratio_vs_generator_path`` (the preset's change of its attribute over the
      full generator path's, graded on ``min(r, 1/r)``): 0.9 / 0.75 / 0.5;
    * against a renderer's truth (toyfaces presets): ``truth_region_error`` (error to
      the true edit inside its region as a fraction of the input's; above 1 the edit
      moves *away* from the truth): 0.5 / 0.75 / 1.0; ``truth_outside_change`` (mean
      change outside the region, levels of 255): 2 / 4 / 8;
    * by the independent judge: ``judge_target_ratio`` (target change over the true
      edit's, graded on ``min(r, 1/r)``): 0.9 / 0.8 / 0.5; ``judge_other_change``
      (mean absolute change of the other attributes): 0.015 / 0.03 / 0.06;
      ``judge_appear_rate`` (binary attributes: share of faces that gain it): 0.95 /
      0.9 / 0.7.

    The label is the worst grade any recognised metric earns, because a preset is only
    as good as its weakest measured aspect.
    """
    # (key, better_is_higher, thresholds for excellent / good / fair)
    rules = [
        ("psnr", True, (32.0, 27.0, 22.0)),
        ("lpips", False, (0.05, 0.12, 0.25)),
        ("ssim", True, (0.95, 0.88, 0.75)),
        ("target_ratio_vs_generator_path", True, (0.9, 0.75, 0.5)),
        ("truth_region_error", False, (0.5, 0.75, 1.0)),
        ("truth_outside_change", False, (2.0, 4.0, 8.0)),
        ("judge_target_ratio", True, (0.9, 0.8, 0.5)),
        ("judge_other_change", False, (0.015, 0.03, 0.06)),
        ("judge_appear_rate", True, (0.95, 0.9, 0.7)),
    ]
    ratios = ("target_ratio_vs_generator_path", "judge_target_ratio")
    grades = ["excellent", "good", "fair", "poor"]
    found: list[tuple[int, str]] = []
    for key, higher, (a, b, c) in rules:
        if key not in metrics:
            continue
        x = float(metrics[key])
        # A ratio is as far from 1 at 2 as at 0.5; negative means the wrong direction.
        graded = (min(x, 1 / x) if x > 0 else 0.0) if key in ratios else x
        if not math.isfinite(graded):  # a figure that could not be measured earns nothing
            graded = -math.inf if higher else math.inf
        if higher:
            grade = 0 if graded >= a else 1 if graded >= b else 2 if graded >= c else 3
        else:
            grade = 0 if graded <= a else 1 if graded <= b else 2 if graded <= c else 3
        found.append((grade, f"{key} {x:g}"))
    if not found:
        return "unrated (no psnr, lpips or ssim in metrics)"
    worst = max(g for g, _ in found)
    return f"{grades[worst]} ({', '.join(text for _, text in found)})"
