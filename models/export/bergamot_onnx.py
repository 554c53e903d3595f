"""ONNX graphs of a Bergamot (Marian transformer encoder + SSRU decoder) model, built with onnx.helper.

Two graphs, so that nothing grows per decoding step:

* ``encoder_model.onnx``: ``input_ids`` [B, S], ``attention_mask`` [B, S] → for each decoder layer
  ``cross_key.{l}`` [B, H, dk, S] and ``cross_value.{l}`` [B, H, S, dk].
* ``decoder_step_model.onnx``: ``input_ids`` [B] (-1 = start: the all-zero embedding), ``step`` [1]
  (position), ``attention_mask`` [B, S], ``state.{l}`` [B, D] and the cross keys/values → ``logits``
  [B, V] and ``new_state.{l}`` [B, D]. With ``shortlist`` the decoder also takes ``vocab`` [V'] and
  returns logits over those ids only.

Precisions: ``fp32``/``fp16`` use the dequantised weights; ``int8`` keeps the model's own int8
weights and reproduces intgemm's int8shiftAlphaAll arithmetic: the activation is multiplied by its
stored ``*_QuantMultA``, rounded (half to even), clipped to ±127, multiplied in int32 with the
int8 weight and scaled back by 1 / (alpha · weight multiplier).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .marian_bin import Item

OPSET = 17
_NEG = {"fp32": -1e9, "int8": -1e9, "fp16": -60000.0}


@dataclass(frozen=True)
class Dims:
    d_model: int
    heads: int
    ffn: int
    enc_layers: int
    dec_layers: int
    vocab: int

    @property
    def head_dim(self) -> int:
        return self.d_model // self.heads

    @classmethod
    def from_config(cls, config: dict[str, Any], vocab: int) -> Dims:
        return cls(d_model=int(config["dim-emb"]), heads=int(config["transformer-heads"]),
                   ffn=int(config["transformer-dim-ffn"]), enc_layers=int(config["enc-depth"]),
                   dec_layers=int(config["dec-depth"]), vocab=vocab)


class Weights:
    """Marian items as [out, in] float matrices, int8 matrices with their multipliers, and alphas."""

    def __init__(self, items: dict[str, Item]) -> None:
        self.items = items

    def has(self, name: str) -> bool:
        return name in self.items

    def matrix(self, name: str) -> np.ndarray:
        """Real-valued weight, [out, in] for linear maps (``Wemb``: [vocab, dim])."""
        item = self.items[name]
        if not item.is_int8:
            m = item.float32()
            return m.T.copy() if name != "Wemb" else m  # float models store [in, out]
        q, mult = self.int8(name)
        return q.astype(np.float32) / np.float32(mult)

    def int8(self, name: str) -> tuple[np.ndarray, float]:
        item = self.items[name]
        values, mult = item.int8()
        rows, cols = item.shape
        shape = (rows, cols) if name == "Wemb" else (cols, rows)
        return values.reshape(shape), mult

    def vector(self, name: str) -> np.ndarray:
        return self.items[name].float32().reshape(-1)

    def alpha(self, name: str) -> float:
        """The activation multiplier of the int8 product with weight ``name``."""
        item = self.items[f"{name}_QuantMultA" if name != "Wemb" else "none_QuantMultA"]
        return float(item.float32().reshape(-1)[0])

    @property
    def quantized(self) -> bool:
        return self.items["Wemb"].is_int8


def _unsigned(q: np.ndarray) -> np.ndarray:
    """int8 weights as uint8 with zero point 128."""
    return np.ascontiguousarray((q.astype(np.int16) + 128).astype(np.uint8))


class _Graph:
    def __init__(self, precision: str) -> None:
        self.precision = precision
        self.float = np.float16 if precision == "fp16" else np.float32
        self.elem = TensorProto.FLOAT16 if precision == "fp16" else TensorProto.FLOAT
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self._n = 0
        self._consts: dict[str, str] = {}

    def name(self, hint: str) -> str:
        self._n += 1
        return f"{hint}_{self._n}"

    def const(self, value: Any, hint: str = "c", dtype: Any = None) -> str:
        arr = np.asarray(value, dtype=dtype if dtype is not None else self.float)
        name = self.name(hint)
        self.inits.append(numpy_helper.from_array(arr, name))
        return name

    def weight(self, arr: np.ndarray, name: str) -> str:
        """An initializer under a fixed name (shared when requested twice)."""
        if name not in self._consts:
            self.inits.append(numpy_helper.from_array(arr, name))
            self._consts[name] = name
        return name

    def op(self, op_type: str, *inputs: str, out: str | None = None, **attrs: Any) -> str:
        output = out or self.name(op_type.lower())
        self.nodes.append(helper.make_node(op_type, list(inputs), [output], **attrs))
        return output

    def model(self, inputs: list[onnx.ValueInfoProto], outputs: list[onnx.ValueInfoProto], name: str) -> bytes:
        graph = helper.make_graph(self.nodes, name, inputs, outputs, self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                                  producer_name="toex-bergamot")
        model.ir_version = 8
        onnx.checker.check_model(model)
        return bytes(model.SerializeToString())


class _Builder:
    def __init__(self, w: Weights, dims: Dims, precision: str) -> None:
        if precision == "int8" and not w.quantized:
            raise ValueError("int8 needs a model with intgemm int8 weights")
        self.w, self.d, self.g = w, dims, _Graph(precision)
        self.int8 = precision == "int8"

    def linear(self, x: str, wname: str, bname: str | None) -> str:
        g, w = self.g, self.w
        if self.int8:
            q, mult = w.int8(wname)
            alpha = w.alpha(wname)
            wq = g.weight(_unsigned(q.T), f"{wname}.u8")
            y = g.op("Mul", self.int8_matmul(x, alpha, wq), g.const(1.0 / (alpha * mult), "dequant"))
        else:
            y = g.op("MatMul", x, g.weight(w.matrix(wname).T.astype(g.float), wname))
        if bname is not None:
            y = g.op("Add", y, g.weight(w.vector(bname).astype(g.float), bname))
        return y

    def int8_matmul(self, x: str, alpha: float, wq: str) -> str:
        """float32 of the exact int32 product (round(x · alpha) clipped to ±127) · (int8 weight).

        Both sides are shifted into uint8 (activation +127, weight +128) and the zero points remove the
        shifts: ORT's u8·u8 kernel widens to 16 bits, so no pair sum saturates (its u8·s8 kernel on
        AVX2 without VNNI does, and its s8·s8 path is ten times slower)."""
        g = self.g
        scaled = g.op("Clip", g.op("Round", g.op("Mul", x, g.const(alpha, "alpha"))), g.const(-127.0, "lo"),
                      g.const(127.0, "hi"))
        shifted = g.op("Cast", g.op("Add", scaled, g.const(127.0, "shift")), to=TensorProto.UINT8)
        prod = g.op("MatMulInteger", shifted, wq, g.const(127, "zero_point", np.uint8),
                    g.const(128, "w_zero", np.uint8))
        return g.op("Cast", prod, to=TensorProto.FLOAT)

    def layer_norm(self, x: str, prefix: str) -> str:
        g, w = self.g, self.w
        return g.op("LayerNormalization", x, g.weight(w.vector(f"{prefix}_scale").astype(g.float), f"{prefix}_scale"),
                    g.weight(w.vector(f"{prefix}_bias").astype(g.float), f"{prefix}_bias"), axis=-1, epsilon=1e-9)

    def ffn(self, x: str, p: str) -> str:
        h = self.g.op("Relu", self.linear(x, f"{p}_ffn_W1", f"{p}_ffn_b1"))
        return self.layer_norm(self.g.op("Add", x, self.linear(h, f"{p}_ffn_W2", f"{p}_ffn_b2")), f"{p}_ffn_ffn_ln")

    def embed(self, ids: str) -> str:
        """Rows of ``Wemb`` times sqrt(d)."""
        g = self.g
        if self.int8:
            q, mult = self.w.int8("Wemb")
            rows = g.op("Cast", g.op("Gather", g.weight(q, "Wemb.int8"), ids, axis=0), to=TensorProto.FLOAT)
            return g.op("Mul", rows, g.const(math.sqrt(self.d.d_model) / mult, "emb_scale"))
        rows = g.op("Gather", g.weight(self.w.matrix("Wemb").astype(g.float), "Wemb"), ids, axis=0)
        return g.op("Mul", rows, g.const(math.sqrt(self.d.d_model), "emb_scale"))

    def positions(self, pos: str) -> str:
        """Sinusoidal [sin | cos] embeddings of the float positions ``pos`` [N] → [N, D]."""
        g, half = self.g, self.d.d_model // 2
        step = math.log(10000.0) / (half - 1)
        inv = np.exp(np.arange(half, dtype=np.float32) * -step).astype(np.float32)
        column = g.op("Unsqueeze", pos, g.const([1], "ax", np.int64))
        angle = g.op("Mul", column, g.const(inv[None, :], "inv", np.float32))
        table = g.op("Concat", g.op("Sin", angle), g.op("Cos", angle), axis=-1)
        return table if g.float == np.float32 else g.op("Cast", table, to=g.elem)

    def mask_bias(self, mask: str) -> str:
        """[B, S] 1/0 mask → additive [B, 1, 1, S] bias."""
        g = self.g
        m = g.op("Cast", mask, to=g.elem)
        bias = g.op("Mul", g.op("Sub", g.const(1.0, "one"), m), g.const(_NEG[g.precision], "neg"))
        return g.op("Unsqueeze", bias, g.const([1, 2], "ax", np.int64))

    def heads(self, x: str, perm: list[int]) -> str:
        g, d = self.g, self.d
        r = g.op("Reshape", x, g.const([0, 0, d.heads, d.head_dim], "shape", np.int64))
        return g.op("Transpose", r, perm=perm)

    def encoder(self) -> bytes:
        g, d = self.g, self.d
        ids, mask = "input_ids", "attention_mask"
        length = g.op("Gather", g.op("Shape", ids), g.const(1, "i", np.int64), axis=0)
        pos = g.op("Cast", g.op("Range", g.const(0, "z", np.int64), length, g.const(1, "o", np.int64)),
                   to=TensorProto.FLOAT)
        x = g.op("Add", self.embed(ids), self.positions(pos))
        bias = self.mask_bias(mask)
        scale = g.const(1.0 / math.sqrt(d.head_dim), "scale")
        for i in range(1, d.enc_layers + 1):
            p = f"encoder_l{i}_self"
            q = self.heads(self.linear(x, f"{p}_Wq", f"{p}_bq"), [0, 2, 1, 3])
            k = self.heads(self.linear(x, f"{p}_Wk", f"{p}_bk"), [0, 2, 3, 1])
            v = self.heads(self.linear(x, f"{p}_Wv", f"{p}_bv"), [0, 2, 1, 3])
            scores = g.op("Add", g.op("Mul", g.op("MatMul", q, k), scale), bias)
            ctx = g.op("Transpose", g.op("MatMul", g.op("Softmax", scores, axis=-1), v), perm=[0, 2, 1, 3])
            ctx = g.op("Reshape", ctx, g.const([0, 0, d.d_model], "shape", np.int64))
            x = self.layer_norm(g.op("Add", x, self.linear(ctx, f"{p}_Wo", f"{p}_bo")), f"{p}_Wo_ln")
            x = self.ffn(x, f"encoder_l{i}")
        outputs = []
        for i in range(1, d.dec_layers + 1):
            p = f"decoder_l{i}_context"
            self.heads(self.linear(x, f"{p}_Wk", f"{p}_bk"), [0, 2, 3, 1])
            g.nodes[-1].output[0] = f"cross_key.{i - 1}"
            self.heads(self.linear(x, f"{p}_Wv", f"{p}_bv"), [0, 2, 1, 3])
            g.nodes[-1].output[0] = f"cross_value.{i - 1}"
            outputs += [
                helper.make_tensor_value_info(f"cross_key.{i - 1}", g.elem, ["batch", d.heads, d.head_dim, "src"]),
                helper.make_tensor_value_info(f"cross_value.{i - 1}", g.elem, ["batch", d.heads, "src", d.head_dim])]
        inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "src"]),
                  helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "src"])]
        return g.model(inputs, outputs, "bergamot_encoder")

    def decoder_step(self, shortlist: bool = False) -> bytes:
        g, d = self.g, self.d
        ids = "input_ids"
        start = g.op("Less", ids, g.const(0, "z", np.int64))
        emb = self.embed(g.op("Max", ids, g.const(0, "z", np.int64)))
        emb = g.op("Where", g.op("Unsqueeze", start, g.const([1], "ax", np.int64)), g.const(0.0, "zero"), emb)
        y = g.op("Add", emb, self.positions(g.op("Cast", "step", to=TensorProto.FLOAT)))
        bias = self.mask_bias("attention_mask")
        scale = g.const(1.0 / math.sqrt(d.head_dim), "scale")
        outputs = []
        for i in range(1, d.dec_layers + 1):
            p = f"decoder_l{i}"
            xw = self.linear(y, f"{p}_rnn_W", None)
            f = g.op("Sigmoid", self.linear(y, f"{p}_rnn_Wf", f"{p}_rnn_bf"))
            keep = g.op("Mul", f, f"state.{i - 1}")
            c = g.op("Add", keep, g.op("Mul", g.op("Sub", g.const(1.0, "one"), f), xw), out=f"new_state.{i - 1}")
            y = self.layer_norm(g.op("Add", y, g.op("Relu", c)), f"{p}_rnn_ffn_ln")
            q = g.op("Reshape", self.linear(y, f"{p}_context_Wq", f"{p}_context_bq"),
                     g.const([0, d.heads, 1, d.head_dim], "shape", np.int64))
            scores = g.op("Add", g.op("Mul", g.op("MatMul", q, f"cross_key.{i - 1}"), scale), bias)
            ctx = g.op("MatMul", g.op("Softmax", scores, axis=-1), f"cross_value.{i - 1}")
            ctx = g.op("Reshape", ctx, g.const([0, d.d_model], "shape", np.int64))
            y = self.layer_norm(g.op("Add", y, self.linear(ctx, f"{p}_context_Wo", f"{p}_context_bo")),
                                f"{p}_context_Wo_ln")
            y = self.ffn(y, p)
            outputs.append(helper.make_tensor_value_info(f"new_state.{i - 1}", g.elem, ["batch", d.d_model]))
        logits = self.output_layer(y, shortlist)
        outputs.insert(0, helper.make_tensor_value_info(logits, TensorProto.FLOAT, ["batch", "vocab"]))
        inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch"]),
                  helper.make_tensor_value_info("step", TensorProto.INT64, [1]),
                  helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "src"])]
        for i in range(d.dec_layers):
            inputs += [helper.make_tensor_value_info(f"state.{i}", g.elem, ["batch", d.d_model]),
                       helper.make_tensor_value_info(f"cross_key.{i}", g.elem, ["batch", d.heads, d.head_dim, "src"]),
                       helper.make_tensor_value_info(f"cross_value.{i}", g.elem, ["batch", d.heads, "src", d.head_dim])]
        if shortlist:
            inputs.append(helper.make_tensor_value_info("vocab", TensorProto.INT64, ["vocab"]))
        return g.model(inputs, outputs, "bergamot_decoder_step")

    def output_layer(self, y: str, shortlist: bool) -> str:
        """Logits (float32) = y · Wembᵀ + b over the whole vocabulary or the ``vocab`` ids."""
        g, w = self.g, self.w
        b = g.weight(w.vector("decoder_ff_logit_out_b").astype(np.float32), "decoder_ff_logit_out_b")
        if shortlist:
            b = g.op("Gather", b, "vocab", axis=0)
        if self.int8:
            q, mult = w.int8("Wemb")
            alpha = w.alpha("Wemb")
            if shortlist:  # gather rows of the [V, D] table (contiguous), then transpose the few kept
                wq = g.op("Transpose", g.op("Gather", g.weight(_unsigned(q), "Wemb.u8"), "vocab", axis=0), perm=[1, 0])
            else:
                wq = g.weight(_unsigned(q.T), "Wemb.u8.T")
            prod = self.int8_matmul(y, alpha, wq)
            return g.op("Add", g.op("Mul", prod, g.const(1.0 / (alpha * mult), "dequant")), b, out="logits")
        emb = g.weight(w.matrix("Wemb").astype(g.float), "Wemb")
        if shortlist:
            emb = g.op("Gather", emb, "vocab", axis=0)
        logits = g.op("Gemm", y, emb, transB=1)
        if g.float != np.float32:
            logits = g.op("Cast", logits, to=TensorProto.FLOAT)
        return g.op("Add", logits, b, out="logits")


def build_encoder(w: Weights, dims: Dims, precision: str) -> bytes:
    return _Builder(w, dims, precision).encoder()


def build_decoder_step(w: Weights, dims: Dims, precision: str, shortlist: bool = False) -> bytes:
    return _Builder(w, dims, precision).decoder_step(shortlist)
