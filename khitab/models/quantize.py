"""int8 quantisation of an exported encoder graph (ONNX Runtime's quantiser)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

# names the recipe in the export cache's stamp: a changed recipe re-quantises cached graphs
QUANTIZER = "dynamic-per-channel-1"


def quantize_int8(path: Path, target: Path, model: Any = None) -> Path:
    """Dynamic int8 quantisation of the matrix multiplications (weights per channel)."""
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(path), str(target), weight_type=QuantType.QInt8, per_channel=True,
                     op_types_to_quantize=["MatMul", "Attention"],
                     # fused contrib ops carry no inferred types: their outputs are float
                     extra_options={"MatMulConstBOnly": True, "DefaultTensorType": TensorProto.FLOAT})
    return target
