"""Image models: `{"b64": JPEG/PNG}` instances in, labelled classes with scores out.

A model opts in with a `model.yaml` in its version directory (or, for all versions, in the
model directory), for example:

    image:
      size: [224, 224]          # height, width the network takes
      layout: NCHW              # NCHW or NHWC
      color: RGB                # RGB or BGR channel order
      resize: 256               # shorter side is resized to this, then centre-cropped to size;
                                # 0 resizes straight to size
      scale: 1.0                # pixel values 0..255 are first multiplied by this (1/255: 0..1)
      mean: [127.0, 127.0, 127.0]   # then (x - mean) / std, per channel
      std: [128.0, 128.0, 128.0]
      dtype: float32            # float32, float16 or uint8 (uint8 skips scale/mean/std)
      input: null               # the model input that takes the image (default: the only one)
      output: null              # the output holding class scores (default: the first)
      labels: labels.txt        # one class name per line; line i names class i
      top_k: 5
      softmax: true             # the output is logits: report softmax probabilities

`wrap()` puts an `ImageRuntime` around the model's own runtime. Its "serving_default" takes
`image_bytes` (DT_STRING [-1]: encoded JPEG/PNG, which REST clients send as {"b64": ...}) and
answers `classes` (DT_STRING [-1, top_k]) and `scores` (DT_FLOAT [-1, top_k]), best first; the
model's own tensor signature stays available as "raw". A payload that is not a decodable
image is an INVALID_ARGUMENT (400) naming the instance.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from serving.errors import InvalidArgument
from serving.runtimes.base import PREDICT_METHOD, Runtime, Signature, TensorSpec

CONFIG_FILE = "model.yaml"
IMAGE_SIGNATURE = "serving_default"
RAW_SIGNATURE = "raw"
FORMATS = ("JPEG", "PNG", "BMP", "GIF", "WEBP")
MAX_PIXELS = 40_000_000  # refuse decompression bombs long before they fill memory


@dataclass(frozen=True)
class ImageConfig:
    size: tuple[int, int] = (224, 224)
    layout: str = "NCHW"
    color: str = "RGB"
    resize: int = 256
    scale: float = 1.0
    mean: tuple[float, ...] = (0.0, 0.0, 0.0)
    std: tuple[float, ...] = (1.0, 1.0, 1.0)
    dtype: str = "float32"
    input: str | None = None
    output: str | None = None
    labels: str | None = None
    top_k: int = 5
    softmax: bool = False

    def __post_init__(self) -> None:
        checks = [(self.layout in ("NCHW", "NHWC"), "layout must be NCHW or NHWC"),
                  (self.color in ("RGB", "BGR"), "color must be RGB or BGR"),
                  (self.dtype in ("float32", "float16", "uint8"),
                   "dtype must be float32, float16 or uint8"),
                  (len(self.size) == 2 and min(self.size) > 0, "size must be [height, width]"),
                  (len(self.mean) == 3 and len(self.std) == 3 and 0 not in self.std,
                   "mean and std need three values, std non-zero"),
                  (self.top_k >= 1, "top_k must be at least 1")]
        for ok, message in checks:
            if not ok:
                raise ValueError(f"{CONFIG_FILE}: {message}")

    @classmethod
    def from_file(cls, path: Path) -> ImageConfig:
        import yaml

        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        image = doc.get("image")
        if not isinstance(image, dict):
            raise TypeError(f"{path}: expected an 'image:' mapping")
        unknown = set(image) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"{path}: unknown image keys {sorted(unknown)}")
        for key in ("size", "mean", "std"):
            if key in image:
                image[key] = tuple(image[key])
        return cls(**image)


def find_config(version_dir: Path) -> Path | None:
    """The model.yaml that applies to a version: its own, else the model directory's."""
    for candidate in (version_dir / CONFIG_FILE, version_dir.parent / CONFIG_FILE):
        if candidate.is_file():
            return candidate
    return None


def wrap(version_dir: Path, runtime: Runtime) -> Runtime:
    """The runtime itself, or an ImageRuntime around it when the model has a model.yaml."""
    config = find_config(version_dir)
    return runtime if config is None else ImageRuntime(runtime, config)


def decode(data: bytes, config: ImageConfig, index: int = 0) -> np.ndarray:
    """One encoded image -> the network's input for it (no batch dimension)."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if isinstance(data, str):
        data = data.encode("latin-1")
    try:
        image = Image.open(io.BytesIO(data))
        if image.format not in FORMATS:
            raise InvalidArgument(f"instance {index}: {image.format} images are not accepted; "
                                  f"send JPEG or PNG")
        if image.width * image.height > MAX_PIXELS:
            raise InvalidArgument(f"instance {index}: image of {image.width}x{image.height} "
                                  f"pixels is larger than {MAX_PIXELS} pixels")
        image = ImageOps.exif_transpose(image).convert("RGB")
    except UnidentifiedImageError:
        raise InvalidArgument(f"instance {index}: not a JPEG or PNG image "
                              f"({len(data)} bytes that Pillow cannot identify)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise InvalidArgument(f"instance {index}: corrupt image data ({exc})") from None
    return preprocess(image, config)


def preprocess(image, config: ImageConfig) -> np.ndarray:
    """A PIL RGB image -> resized, cropped, normalised array in the configured layout."""
    from PIL import Image

    height, width = config.size
    if config.resize:
        factor = config.resize / min(image.size)
        image = image.resize((max(width, round(image.width * factor)),
                              max(height, round(image.height * factor))), Image.BILINEAR)
        left, top = (image.width - width) // 2, (image.height - height) // 2
        image = image.crop((left, top, left + width, top + height))
    else:
        image = image.resize((width, height), Image.BILINEAR)
    pixels = np.asarray(image)
    if config.color == "BGR":
        pixels = pixels[..., ::-1]
    if config.dtype == "uint8":
        array = np.ascontiguousarray(pixels)
    else:
        array = (pixels.astype(np.float32) * config.scale - np.float32(config.mean)) \
            / np.float32(config.std)
        array = array.astype(config.dtype)
    return np.ascontiguousarray(array.transpose(2, 0, 1)) if config.layout == "NCHW" else array


def top_classes(scores: np.ndarray, labels: list[str], top_k: int,
                softmax: bool) -> tuple[np.ndarray, np.ndarray]:
    """[N, C] scores -> (classes [N, k] as bytes labels, scores [N, k] float32), best first."""
    scores = scores.reshape(scores.shape[0], -1).astype(np.float32)
    if softmax:
        shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
        scores = shifted / shifted.sum(axis=1, keepdims=True)
    k = min(top_k, scores.shape[1])
    best = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    names = np.array([[(labels[i] if i < len(labels) else str(i)).encode() for i in row]
                      for row in best], dtype=object).reshape(len(best), k)
    return names, np.take_along_axis(scores, best, axis=1)


class ImageRuntime(Runtime):
    """Decodes and preprocesses images before, and labels scores after, the model's runtime."""

    def __init__(self, inner: Runtime, config_file: Path) -> None:
        super().__init__(inner.path, inner.options)
        self.inner = inner
        self.format_name = inner.format_name
        self.config_file = config_file
        self.config: ImageConfig | None = None
        self.labels: list[str] = []
        self._signatures: dict[str, Signature] = {}
        self._input = self._output = ""

    @classmethod
    def accepts(cls, path: Path) -> bool:
        return find_config(path) is not None

    def load(self) -> None:
        self.config = config = ImageConfig.from_file(self.config_file)
        self.inner.load()
        raw = self.inner.signatures["serving_default"]
        self._input = config.input or _only(raw.inputs, "input", self.config_file)
        self._output = config.output or next(iter(raw.outputs))
        for key, specs in ((self._input, raw.inputs), (self._output, raw.outputs)):
            if key not in specs:
                raise ValueError(f"{self.config_file}: the model has no tensor {key!r} "
                                 f"(it has {sorted(specs)})")
        if config.labels:
            labels_file = self.config_file.parent / config.labels
            self.labels = labels_file.read_text(encoding="utf-8").splitlines()
            classes = (raw.outputs[self._output].shape or (-1,))[-1]
            if classes > 0 and classes != len(self.labels):
                raise ValueError(f"{labels_file.name} has {len(self.labels)} labels but the "
                                 f"model's {self._output!r} output has {classes} classes")
        from serving.tensors import types_pb2

        k = config.top_k
        self._signatures = {RAW_SIGNATURE: raw, IMAGE_SIGNATURE: Signature(
            PREDICT_METHOD,
            inputs={"image_bytes": TensorSpec("image_bytes", types_pb2.DT_STRING, (-1,))},
            outputs={"classes": TensorSpec("classes", types_pb2.DT_STRING, (-1, k)),
                     "scores": TensorSpec("scores", types_pb2.DT_FLOAT, (-1, k))})}

    @property
    def signatures(self) -> dict[str, Signature]:
        return self._signatures

    def predict(self, signature_name: str, inputs: dict[str, np.ndarray],
                output_keys: list[str] | None = None) -> dict[str, np.ndarray]:
        if signature_name == RAW_SIGNATURE:
            return self.inner.predict("serving_default", inputs, output_keys)
        images = np.asarray(inputs["image_bytes"], dtype=object).reshape(-1)
        if not len(images):
            raise InvalidArgument("no images in the request")
        batch = np.stack([decode(data, self.config, i) for i, data in enumerate(images)])
        scores = self.inner.predict("serving_default", {self._input: batch},
                                    [self._output])[self._output]
        classes, top = top_classes(scores, self.labels, self.config.top_k, self.config.softmax)
        outputs = {"classes": classes, "scores": top}
        return {k: outputs[k] for k in (output_keys or outputs)}

    def unload(self) -> None:
        self.inner.unload()


def _only(specs: dict, what: str, config_file: Path) -> str:
    if len(specs) != 1:
        raise ValueError(f"{config_file}: the model has several {what}s {sorted(specs)}; "
                         f"name the image's with '{what}:'")
    return next(iter(specs))
