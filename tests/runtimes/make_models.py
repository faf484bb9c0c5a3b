"""Writes the tiny test models under tests/runtimes/models/ (run: python tests/runtimes/make_models.py).

Every model is written from a fixed graph or document, no training, so the outputs are known:
- onnx_affine/1/model.onnx and openvino_affine/1/model.{xml,bin}: x float[-1,3] ->
  y = 2x + 1 (float[-1,3]) and total = sum(x, axis 1) (float[-1]).
- pmml_regression/1/model.pmml: y = 1 + 2*x1 - 3*x2.
- pmml_tree/1/model.pmml: class "low" when x1 < 0.5 else "high", with probabilities.
- broken_{onnx,openvino,pmml}/1/: a corrupt file of each format.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent / "models"

PMML_REGRESSION = """<?xml version="1.0" encoding="UTF-8"?>
<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">
  <Header description="y = 1 + 2*x1 - 3*x2"/>
  <DataDictionary numberOfFields="3">
    <DataField name="x1" optype="continuous" dataType="double"/>
    <DataField name="x2" optype="continuous" dataType="double"/>
    <DataField name="y" optype="continuous" dataType="double"/>
  </DataDictionary>
  <RegressionModel functionName="regression" modelName="affine">
    <MiningSchema>
      <MiningField name="x1"/>
      <MiningField name="x2"/>
      <MiningField name="y" usageType="target"/>
    </MiningSchema>
    <Output>
      <OutputField name="predicted_y" optype="continuous" dataType="double" feature="predictedValue"/>
    </Output>
    <RegressionTable intercept="1">
      <NumericPredictor name="x1" coefficient="2"/>
      <NumericPredictor name="x2" coefficient="-3"/>
    </RegressionTable>
  </RegressionModel>
</PMML>
"""

PMML_TREE = """<?xml version="1.0" encoding="UTF-8"?>
<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">
  <Header description="low when x1 &lt; 0.5, else high"/>
  <DataDictionary numberOfFields="3">
    <DataField name="x1" optype="continuous" dataType="double"/>
    <DataField name="color" optype="categorical" dataType="string">
      <Value value="red"/><Value value="blue"/>
    </DataField>
    <DataField name="label" optype="categorical" dataType="string">
      <Value value="low"/><Value value="high"/>
    </DataField>
  </DataDictionary>
  <TreeModel functionName="classification" modelName="split" splitCharacteristic="binarySplit">
    <MiningSchema>
      <MiningField name="x1"/>
      <MiningField name="color"/>
      <MiningField name="label" usageType="target"/>
    </MiningSchema>
    <Output>
      <OutputField name="predicted_label" optype="categorical" dataType="string" feature="predictedValue"/>
      <OutputField name="probability_low" optype="continuous" dataType="double" feature="probability" value="low"/>
      <OutputField name="probability_high" optype="continuous" dataType="double" feature="probability" value="high"/>
    </Output>
    <Node score="high">
      <True/>
      <Node score="low" recordCount="10">
        <SimplePredicate field="x1" operator="lessThan" value="0.5"/>
        <ScoreDistribution value="low" recordCount="8"/>
        <ScoreDistribution value="high" recordCount="2"/>
      </Node>
      <Node score="high" recordCount="10">
        <True/>
        <ScoreDistribution value="low" recordCount="1"/>
        <ScoreDistribution value="high" recordCount="9"/>
      </Node>
    </Node>
  </TreeModel>
</PMML>
"""


def affine_onnx():
    """The ONNX graph y = 2x + 1, total = sum(x, axis=1), batch dimension dynamic."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    graph = helper.make_graph(
        [helper.make_node("Mul", ["x", "two"], ["x2"]),
         helper.make_node("Add", ["x2", "one"], ["y"]),
         helper.make_node("ReduceSum", ["x", "axes"], ["total"], keepdims=0)],
        "affine",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3]),
         helper.make_tensor_value_info("total", TensorProto.FLOAT, ["batch"])],
        [numpy_helper.from_array(np.array(2, np.float32), "two"),
         numpy_helper.from_array(np.array(1, np.float32), "one"),
         numpy_helper.from_array(np.array([1], np.int64), "axes")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="tests/runtimes/make_models.py")
    model.ir_version = 8
    return model


def write(root: Path = HERE) -> None:
    import onnx
    import openvino as ov

    def version(name: str) -> Path:
        path = root / name / "1"
        path.mkdir(parents=True, exist_ok=True)
        return path

    model = affine_onnx()
    onnx.checker.check_model(model)
    onnx_file = version("onnx_affine") / "model.onnx"
    onnx.save(model, onnx_file)
    ov.save_model(ov.convert_model(str(onnx_file)), version("openvino_affine") / "model.xml",
                  compress_to_fp16=False)
    (version("pmml_regression") / "model.pmml").write_text(PMML_REGRESSION)
    (version("pmml_tree") / "model.pmml").write_text(PMML_TREE)

    (version("broken_onnx") / "model.onnx").write_bytes(b"this is not a protobuf \xff\xfe" * 4)
    broken_ir = version("broken_openvino")
    (broken_ir / "model.xml").write_text('<?xml version="1.0"?>\n<net name="broken" version="11">'
                                         "<layers><layer id='0'")
    (broken_ir / "model.bin").write_bytes(b"\0" * 16)
    (version("broken_pmml") / "model.pmml").write_text(PMML_TREE[: len(PMML_TREE) // 2])


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
