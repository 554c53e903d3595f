"""PyTorch rebuild of a Bergamot model from its dequantised weights: the export-time reference.

It follows Marian's transformer with ``transformer-decoder-autoreg: rnn`` (SSRU cell), written
independently of the ONNX graph builder so that the two check each other: post-norm blocks
(``transformer-postprocess: dan``), layer-norm epsilon 1e-9, sinusoidal [sin | cos] positions,
embeddings scaled by sqrt(d), tied ``Wemb`` with an output bias, decoding from a zero embedding.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from .bergamot_onnx import Dims, Weights


def _t(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))


class BergamotTorch(nn.Module):
    def __init__(self, w: Weights, dims: Dims) -> None:
        super().__init__()
        self.d = dims
        self.p = {}
        for name, item in w.items.items():
            if name.endswith("_QuantMultA") or name.startswith("special:") or name == "none_QuantMultA":
                continue
            self.p[name] = _t(w.matrix(name)) if len(item.shape) == 2 and min(item.shape) > 1 else _t(w.vector(name))

    def _lin(self, x: torch.Tensor, wn: str, bn: str | None) -> torch.Tensor:
        y = x @ self.p[wn].T
        return y + self.p[bn] if bn else y

    def _ln(self, x: torch.Tensor, prefix: str) -> torch.Tensor:
        mu = x.mean(-1, keepdim=True)
        sigma = torch.sqrt(((x - mu) ** 2).mean(-1, keepdim=True) + 1e-9)
        return (x - mu) / sigma * self.p[f"{prefix}_scale"] + self.p[f"{prefix}_bias"]

    def _pos(self, positions: torch.Tensor) -> torch.Tensor:
        half = self.d.d_model // 2
        inv = torch.exp(torch.arange(half, dtype=torch.float32) * -(math.log(10000.0) / (half - 1)))
        angle = positions.float()[:, None] * inv[None, :]
        return torch.cat([torch.sin(angle), torch.cos(angle)], dim=-1)

    def _kv(self, kv: torch.Tensor, p: str) -> tuple[torch.Tensor, torch.Tensor]:
        b, h, dk = kv.shape[0], self.d.heads, self.d.head_dim
        k = self._lin(kv, f"{p}_Wk", f"{p}_bk").view(b, -1, h, dk).transpose(1, 2)
        v = self._lin(kv, f"{p}_Wv", f"{p}_bv").view(b, -1, h, dk).transpose(1, 2)
        return k, v

    def _attn(self, q_in: torch.Tensor, kv: tuple[torch.Tensor, torch.Tensor], mask: torch.Tensor,
              p: str) -> torch.Tensor:
        b, h, dk = q_in.shape[0], self.d.heads, self.d.head_dim
        q = self._lin(q_in, f"{p}_Wq", f"{p}_bq").view(b, -1, h, dk).transpose(1, 2)
        k, v = kv
        scores = (q / math.sqrt(dk)) @ k.transpose(-1, -2)
        scores = scores.masked_fill(~mask[:, None, None, :], float("-inf"))
        ctx = (torch.softmax(scores, -1) @ v).transpose(1, 2).reshape(b, -1, self.d.d_model)
        return self._ln(q_in + self._lin(ctx, f"{p}_Wo", f"{p}_bo"), f"{p}_Wo_ln")

    def _ffn(self, x: torch.Tensor, p: str) -> torch.Tensor:
        h = torch.relu(self._lin(x, f"{p}_ffn_W1", f"{p}_ffn_b1"))
        return self._ln(x + self._lin(h, f"{p}_ffn_W2", f"{p}_ffn_b2"), f"{p}_ffn_ffn_ln")

    @torch.no_grad()
    def encode(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = self.p["Wemb"][ids] * math.sqrt(self.d.d_model) + self._pos(torch.arange(ids.shape[1]))[None]
        for i in range(1, self.d.enc_layers + 1):
            x = self._ffn(self._attn(x, self._kv(x, f"encoder_l{i}_self"), mask, f"encoder_l{i}_self"),
                          f"encoder_l{i}")
        return x

    @torch.no_grad()
    def greedy(self, ids: list[int], max_new: int, eos: int = 0) -> list[int]:
        """Greedy tokens (``eos`` excluded) for one source row that already ends with ``eos``."""
        src = torch.tensor([ids])
        mask = torch.ones_like(src, dtype=torch.bool)
        enc = self.encode(src, mask)
        cross = [self._kv(enc, f"decoder_l{i}_context") for i in range(1, self.d.dec_layers + 1)]
        states = [torch.zeros(1, self.d.d_model) for _ in range(self.d.dec_layers)]
        out: list[int] = []
        prev = torch.zeros(1, self.d.d_model)
        for step in range(max_new):
            y = prev + self._pos(torch.tensor([step]))
            for i in range(1, self.d.dec_layers + 1):
                p = f"decoder_l{i}"
                f = torch.sigmoid(self._lin(y, f"{p}_rnn_Wf", f"{p}_rnn_bf"))
                states[i - 1] = f * states[i - 1] + (1 - f) * self._lin(y, f"{p}_rnn_W", None)
                y = self._ln(y + torch.relu(states[i - 1]), f"{p}_rnn_ffn_ln")
                y = self._attn(y[:, None, :], cross[i - 1], mask, f"{p}_context")[:, 0, :]
                y = self._ffn(y, p)
            tok = int(torch.argmax(y @ self.p["Wemb"].T + self.p["decoder_ff_logit_out_b"], -1))
            if tok == eos:
                break
            out.append(tok)
            prev = self.p["Wemb"][tok][None] * math.sqrt(self.d.d_model)
        return out
