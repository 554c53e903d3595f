"""ONNX Runtime sessions and a KV-cached seq2seq decoder runner.

The runner keeps the key/value cache as ``OrtValue`` objects on the session's device: outputs are
bound with ``io_binding().bind_output(name, device)`` and fed back with ``bind_ortvalue_input``,
so on CUDA only the last-position logits travel to the host each step. On CPU the same path runs
with device ``'cpu'``; ``io_binding=False`` selects a plain ``session.run`` loop (same tokens).

Two decoder layouts are supported: ``merged`` (``decoder_model_merged.onnx`` with a
``use_cache_branch`` input) and ``split`` (``decoder_model.onnx`` + ``decoder_with_past_model.onnx``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

ProviderSpec = str | tuple[str, dict[str, Any]]

_ORT_DTYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(int64)": np.int64,
               "tensor(int32)": np.int32, "tensor(bool)": np.bool_}


def device_of(providers: Sequence[ProviderSpec]) -> str:
    """ORT device name ('cuda' or 'cpu') for the first provider."""
    first = providers[0] if providers else "CPUExecutionProvider"
    name = first[0] if isinstance(first, tuple) else first
    return "cuda" if name == "CUDAExecutionProvider" else "cpu"


def create_session(path: Path | bytes, providers: Sequence[ProviderSpec] = ("CPUExecutionProvider",),
                   intra_op_threads: int | None = None,
                   optimization: ort.GraphOptimizationLevel = ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
                   ) -> ort.InferenceSession:
    """A deterministic session: sequential execution, deterministic compute, quiet logging. ``path`` may be
    the model's verified bytes (:meth:`~shared.inference.package.ModelPackage.verified_model`)."""
    so = ort.SessionOptions()
    so.graph_optimization_level = optimization
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.inter_op_num_threads = 1
    if intra_op_threads:
        so.intra_op_num_threads = int(intra_op_threads)
    so.use_deterministic_compute = True
    so.log_severity_level = 3
    provs: list[Any] = []
    for p in providers:
        if p == "CUDAExecutionProvider":
            provs.append(("CUDAExecutionProvider", {"cudnn_conv_algo_search": "DEFAULT"}))
        else:
            provs.append(p)
    if device_of(providers) != "cpu" and "CPUExecutionProvider" not in [
        q[0] if isinstance(q, tuple) else q for q in provs
    ]:
        provs.append("CPUExecutionProvider")
    model = path if isinstance(path, bytes) else str(path)
    return ort.InferenceSession(model, sess_options=so, providers=provs)


def input_dtype(session: ort.InferenceSession, name: str) -> Any:
    for i in session.get_inputs():
        if i.name == name:
            return _ORT_DTYPES[i.type]
    raise KeyError(name)


@dataclass
class KVCache:
    """Past key/values by input name (``past_key_values.N.{decoder,encoder}.{key,value}``)."""

    values: dict[str, Any]  # OrtValue (io binding) or np.ndarray (plain run)
    length: int


class DecoderRunner:
    """Runs a merged or split seq2seq decoder with a device-resident KV cache."""

    def __init__(self, first: ort.InferenceSession, with_past: ort.InferenceSession | None,
                 device: str = "cpu", io_binding: bool = True) -> None:
        self.merged = with_past is None
        self.first = first
        self.with_past = with_past if with_past is not None else first
        self.device = device
        self.io_binding = io_binding
        self.past_inputs = [i for i in self.with_past.get_inputs() if i.name.startswith("past_key_values.")]
        self.self_names = [i.name for i in self.past_inputs if ".decoder." in i.name]
        self.cross_names = [i.name for i in self.past_inputs if ".encoder." in i.name]
        self.first_inputs = {i.name for i in first.get_inputs()}
        self.past_inputs_names = {i.name for i in self.with_past.get_inputs()}
        self.kv_dtype = _ORT_DTYPES[self.past_inputs[0].type]
        self.encoder_dtype = input_dtype(first, "encoder_hidden_states")
        self.d_model = next(int(i.shape[2]) for i in first.get_inputs() if i.name == "encoder_hidden_states")
        self.extra_outputs = [o.name for o in first.get_outputs()
                              if o.name != "logits" and not o.name.startswith("present.")]

    # -- helpers -----------------------------------------------------------------------------
    def to_device(self, arr: np.ndarray) -> Any:
        if not self.io_binding:
            return arr
        return ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(arr), self.device, 0)

    def to_host(self, value: Any) -> np.ndarray:
        return value.numpy() if isinstance(value, ort.OrtValue) else np.asarray(value)

    def _run(self, session: ort.InferenceSession, feeds: dict[str, Any],
             outputs: Sequence[str]) -> dict[str, Any]:
        if not self.io_binding:
            host = {k: self.to_host(v) for k, v in feeds.items()}
            return dict(zip(outputs, session.run(list(outputs), host), strict=True))
        binding = session.io_binding()
        for name, value in feeds.items():
            if isinstance(value, ort.OrtValue):
                binding.bind_ortvalue_input(name, value)
            else:
                binding.bind_cpu_input(name, np.ascontiguousarray(value))
        for name in outputs:
            binding.bind_output(name, "cpu" if name == "logits" else self.device)
        session.run_with_iobinding(binding)
        return dict(zip(outputs, binding.get_outputs(), strict=True))

    # -- decoding ----------------------------------------------------------------------------
    def start(self, input_ids: np.ndarray, encoder_hidden_states: Any,
              extra: dict[str, np.ndarray] | None = None,
              want: Sequence[str] = ()) -> tuple[np.ndarray, KVCache, dict[str, np.ndarray]]:
        """First pass over a prefix ``(B, T)``: logits ``(B, T, V)``, the cache, requested extra outputs."""
        batch = input_ids.shape[0]
        feeds: dict[str, Any] = {"input_ids": input_ids.astype(np.int64),
                                 "encoder_hidden_states": encoder_hidden_states}
        feeds.update(extra or {})
        if self.merged:
            for i in self.past_inputs:
                heads, dim = i.shape[1], i.shape[3]
                feeds[i.name] = np.zeros((batch, heads, 0, dim), dtype=self.kv_dtype)
            feeds["use_cache_branch"] = np.array([False])
        feeds = {k: v for k, v in feeds.items() if k in self.first_inputs}
        outs = [o.name for o in self.first.get_outputs() if o.name == "logits" or o.name.startswith("present.")
                or o.name in want]
        res = self._run(self.first, feeds, outs)
        cache = {self._past(k): v for k, v in res.items() if k.startswith("present.")}
        extras = {k: self.to_host(res[k]) for k in want}
        return self.to_host(res["logits"]).astype(np.float32), KVCache(cache, input_ids.shape[1]), extras

    def step(self, input_ids: np.ndarray, cache: KVCache,
             extra: dict[str, np.ndarray] | None = None) -> tuple[np.ndarray, KVCache]:
        """One step with ``(B, 1)`` tokens: last logits ``(B, V)`` and the grown cache."""
        feeds: dict[str, Any] = {"input_ids": input_ids.astype(np.int64)}
        feeds.update(cache.values)
        feeds.update(extra or {})
        if self.merged:  # the cache branch ignores encoder_hidden_states, but the graph requires it
            feeds["use_cache_branch"] = np.array([True])
            src_len = extra["encoder_attention_mask"].shape[1] if extra and "encoder_attention_mask" in extra else 1
            feeds["encoder_hidden_states"] = np.zeros((input_ids.shape[0], src_len, self.d_model), self.encoder_dtype)
        feeds = {k: v for k, v in feeds.items() if k in self.past_inputs_names}
        outs = [o.name for o in self.with_past.get_outputs()
                if o.name == "logits" or (o.name.startswith("present.") and ".decoder." in o.name)]
        if self.merged and self.io_binding:  # all outputs must be bound; cross entries are pass-through
            outs = [o.name for o in self.with_past.get_outputs() if o.name == "logits" or o.name.startswith("present.")]
        res = self._run(self.with_past, feeds, outs)
        values = dict(cache.values)
        for k in self.self_names:
            values[k] = res[self._present(k)]
        logits = self.to_host(res["logits"])[:, -1, :].astype(np.float32)
        return logits, KVCache(values, cache.length + input_ids.shape[1])

    def reorder(self, cache: KVCache, index: np.ndarray, cross: bool = False) -> KVCache:
        """Rows of the cache picked by ``index`` (beam search). Self-attention entries make a host
        round trip; cross-attention entries are only gathered when ``cross`` (rows change source)."""
        values = dict(cache.values)
        names = self.self_names + (self.cross_names if cross else [])
        for k in names:
            values[k] = self.to_device(self.to_host(values[k])[index])
        return KVCache(values, cache.length)

    @staticmethod
    def _past(present: str) -> str:
        return "past_key_values." + present[len("present."):]

    @staticmethod
    def _present(past: str) -> str:
        return "present." + past[len("past_key_values."):]


class EncoderRunner:
    """Runs an encoder and leaves its output on the session's device."""

    def __init__(self, session: ort.InferenceSession, device: str = "cpu", io_binding: bool = True) -> None:
        self.session = session
        self.device = device
        self.io_binding = io_binding
        self.input_names = [i.name for i in session.get_inputs()]
        self.input_dtype = _ORT_DTYPES[session.get_inputs()[0].type]
        self.output = session.get_outputs()[0].name

    def __call__(self, inputs: np.ndarray, extra: dict[str, np.ndarray] | None = None) -> Any:
        feeds: dict[str, np.ndarray] = {self.input_names[0]: inputs.astype(self.input_dtype)}
        feeds.update({k: v for k, v in (extra or {}).items() if k in self.input_names})
        if not self.io_binding:
            return self.session.run([self.output], feeds)[0]
        binding = self.session.io_binding()
        for k, v in feeds.items():
            binding.bind_cpu_input(k, np.ascontiguousarray(v))
        binding.bind_output(self.output, self.device)
        self.session.run_with_iobinding(binding)
        return binding.get_outputs()[0]
