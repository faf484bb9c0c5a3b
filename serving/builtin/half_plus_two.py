"""Writes `saved_model_half_plus_two_mkl`: TensorFlow Serving's classic demo, y = 0.5*x + 2.

Same graph, tensor names and signatures as tensorflow_serving/servables/tensorflow/testdata/
saved_model_half_plus_two.py (serving_default, classify_x_to_y, regress_x_to_y, regress_x_to_y2,
regress_x2_to_y3, and the assets/foo.txt asset), so its metadata equals the official copy.
The weights are fixed constants: nothing is trained.

    python -m serving.builtin.half_plus_two <version_dir>
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

MODEL_NAME = "saved_model_half_plus_two_mkl"
ASSET_NAME = "foo.txt"
ASSET_CONTENTS = "asset-file-contents"


def write_half_plus_two(version_dir: Path) -> None:
    """Write the SavedModel into `version_dir` (must not exist yet); atomic via a temp dir."""
    import tensorflow.compat.v1 as tf

    version_dir = Path(version_dir)
    if version_dir.exists():
        raise FileExistsError(f"{version_dir} already exists")
    version_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".half_plus_two-", dir=version_dir.parent))
    try:
        export = work / "export"
        _build(tf, export, work)
        export.rename(version_dir)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _build(tf, export: Path, work: Path) -> None:
    builder = tf.saved_model.builder.SavedModelBuilder(str(export))
    with tf.Session(graph=tf.Graph()) as sess:
        a = tf.Variable(0.5, name="a")
        b = tf.Variable(2.0, name="b")
        c = tf.Variable(3.0, name="c")
        serialized = tf.placeholder(tf.string, name="tf_example")  # unknown rank, as the official copy
        features = tf.parse_example(serialized, {
            "x": tf.FixedLenFeature([1], dtype=tf.float32),
            "x2": tf.FixedLenFeature([1], dtype=tf.float32, default_value=[0.0]),
        })
        for parsed in features.values():  # TF1's parse_example knew these shapes statically
            parsed.set_shape([None, 1])
        x = tf.identity(features["x"], name="x")
        y = tf.identity(tf.add(tf.multiply(a, x), b), name="y")
        y2 = tf.identity(tf.add(tf.multiply(a, x), c), name="y2")
        x2 = tf.identity(features["x2"], name="x2")
        y3 = tf.identity(tf.add(tf.multiply(a, x2), c), name="y3")

        asset_file = work / "assets" / ASSET_NAME
        asset_file.parent.mkdir(parents=True)
        asset_file.write_text(ASSET_CONTENTS)
        tf.add_to_collection(tf.GraphKeys.ASSET_FILEPATHS, tf.constant(str(asset_file)))
        filename = tf.Variable(ASSET_NAME, name="filename_tensor", trainable=False,
                               collections=[])
        assign_filename = filename.assign(ASSET_NAME)

        info = tf.saved_model.utils.build_tensor_info
        build = tf.saved_model.signature_def_utils.build_signature_def
        consts = tf.saved_model.signature_constants

        def regress(inp, out):
            return build({consts.REGRESS_INPUTS: info(inp)}, {consts.REGRESS_OUTPUTS: info(out)},
                         consts.REGRESS_METHOD_NAME)

        signatures = {
            "regress_x_to_y": regress(serialized, y),
            "regress_x_to_y2": regress(serialized, y2),
            "regress_x2_to_y3": regress(x2, y3),
            "classify_x_to_y": build({consts.CLASSIFY_INPUTS: info(serialized)},
                                     {consts.CLASSIFY_OUTPUT_SCORES: info(y)},
                                     consts.CLASSIFY_METHOD_NAME),
            consts.DEFAULT_SERVING_SIGNATURE_DEF_KEY: build(
                {"x": info(x)}, {"y": info(y)}, consts.PREDICT_METHOD_NAME),
        }
        sess.run(tf.global_variables_initializer())
        builder.add_meta_graph_and_variables(
            sess, [tf.saved_model.tag_constants.SERVING], signature_def_map=signatures,
            assets_collection=tf.get_collection(tf.GraphKeys.ASSET_FILEPATHS),
            main_op=tf.group(assign_filename))
    builder.save()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("version_dir", type=Path, help=f"e.g. /data/models/{MODEL_NAME}/1")
    write_half_plus_two(parser.parse_args(argv).version_dir)


if __name__ == "__main__":
    main()
