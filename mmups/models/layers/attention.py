"""Multi-head attention with an optional key/value cache (nanoGPT style).

One module serves the TEM's frame-level self-attention, the sequence head's
causal self-attention and its cross-attention to the encoder tokens.
"""
from typing import Dict, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class MultiHeadAttention(nn.Module):
    """Scaled dot-product attention over ``num_heads`` heads.

    Args:
        embed_dims: C, channels of the queries and of the output.
        num_heads: number of heads; must divide ``embed_dims``.
        kv_dims: channels of the keys/values input (defaults to ``embed_dims``).
        attn_drop: dropout on the attention weights (training only).
        proj_drop: dropout on the output projection.
    """

    def __init__(self, embed_dims: int, num_heads: int,
                 kv_dims: Optional[int] = None, attn_drop: float = 0.,
                 proj_drop: float = 0.) -> None:
        super().__init__()
        if embed_dims % num_heads:
            raise ValueError(f'embed_dims={embed_dims} is not divisible by '
                             f'num_heads={num_heads}')
        kv_dims = kv_dims or embed_dims
        self.num_heads = num_heads
        self.head_dims = embed_dims // num_heads
        self.q = nn.Linear(embed_dims, embed_dims)
        self.kv = nn.Linear(kv_dims, 2 * embed_dims)
        self.proj = nn.Linear(embed_dims, embed_dims)
        self.attn_drop = attn_drop
        self.proj_drop = nn.Dropout(proj_drop)

    def _heads(self, x: Tensor) -> Tensor:
        """(N, L, C) -> (N, heads, L, C / heads)."""
        n, length, _ = x.shape
        return x.view(n, length, self.num_heads, self.head_dims).transpose(1, 2)

    def key_values(self, source: Tensor) -> Tuple[Tensor, Tensor]:
        """Keys and values of (N, Lk, C_kv) ``source`` tokens, each
        (N, heads, Lk, C / heads): what a cache holds."""
        k, v = self.kv(source).chunk(2, dim=-1)
        return self._heads(k), self._heads(v)

    def forward(self,
                query: Tensor,
                key_value: Optional[Tensor] = None,
                key_padding_mask: Optional[Tensor] = None,
                causal: bool = False,
                cache: Optional[Dict[str, Tensor]] = None,
                static_kv: bool = False) -> Tensor:
        """Attend from ``query`` to ``key_value`` (self-attention if None).

        Args:
            query: (N, Lq, C) queries.
            key_value: (N, Lk, C_kv) keys/values; ``None`` means ``query``.
            key_padding_mask: (N, Lk) bool, True where a key may be attended.
            causal: mask keys that lie after the query position. With a cache
                the query positions continue after the cached ones.
            cache: dict updated in place. For self-attention (``static_kv``
                False) new keys/values are appended to ``cache['k']/['v']``;
                for cross-attention (``static_kv`` True) they are computed on
                the first call and reused afterwards.
            static_kv: whether ``key_value`` is the same at every call
                (cross-attention to the encoder tokens).

        Returns:
            (N, Lq, C) attended features.
        """
        q = self._heads(self.q(query))
        if cache is not None and static_kv and 'k' in cache:
            k, v = cache['k'], cache['v']
        else:
            k, v = self.key_values(query if key_value is None else key_value)
            if cache is not None:
                if not static_kv and 'k' in cache:
                    k = torch.cat([cache['k'], k], dim=2)
                    v = torch.cat([cache['v'], v], dim=2)
                cache['k'], cache['v'] = k, v

        out = self._attend(q, k, v, key_padding_mask, causal)
        return self.proj_drop(self.proj(out))

    def _attend(self, q: Tensor, k: Tensor, v: Tensor,
                key_padding_mask: Optional[Tensor],
                causal: bool = False) -> Tensor:
        """Per-head queries (N, heads, Lq, C / heads) and keys/values ->
        the (N, Lq, C) attended values, before the output projection."""
        mask = None
        if key_padding_mask is not None:
            mask = key_padding_mask[:, None, None, :].bool()
        if causal:
            len_q, len_k = q.shape[2], k.shape[2]
            # Query i sits at absolute position (len_k - len_q + i).
            pos_q = torch.arange(len_q, device=q.device) + (len_k - len_q)
            pos_k = torch.arange(len_k, device=q.device)
            causal_mask = pos_k[None, :] <= pos_q[:, None]
            mask = causal_mask if mask is None else mask & causal_mask
        out = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask,
            dropout_p=self.attn_drop if self.training else 0.)
        n, _, length, _ = q.shape
        return out.transpose(1, 2).reshape(n, length, -1)

    def entry_weights(self, entries: Tensor) -> Tuple[Tensor, ...]:
        """The projections' parameters that :meth:`forward_entries` uses:
        the q and kv weights' columns and the output projection's rows and
        bias entries ``entries`` (E,) long."""
        return (self.q.weight[:, entries], self.kv.weight[:, entries],
                self.proj.weight[entries], self.proj.bias[entries])

    def forward_entries(self, x: Tensor, weights: Tuple[Tensor, ...],
                        key_padding_mask: Optional[Tensor] = None) -> Tensor:
        """Self-attention of tokens whose channels outside some entries
        are zero, computed on those channels alone: (N, L, E) tokens ``x``
        (those channels of the C-channel tokens) and ``weights``, what
        :meth:`entry_weights` gives for them -> the (N, L, E) same channels
        of :meth:`forward`'s output. The projections read and write only
        these channels (inner width C as ever): about E / C of their
        multiply-adds."""
        q_weight, kv_weight, proj_weight, proj_bias = weights
        q = F.linear(x, q_weight, self.q.bias)
        k, v = F.linear(x, kv_weight, self.kv.bias).chunk(2, dim=-1)
        out = self._attend(self._heads(q), self._heads(k), self._heads(v),
                           key_padding_mask)
        return self.proj_drop(F.linear(out, proj_weight, proj_bias))


class MLP(nn.Sequential):
    """Two-layer perceptron ``Linear -> GELU -> Dropout -> Linear -> Dropout``."""

    def __init__(self, in_dims: int, hidden_dims: int,
                 out_dims: Optional[int] = None, drop: float = 0.) -> None:
        super().__init__(nn.Linear(in_dims, hidden_dims), nn.GELU(),
                         nn.Dropout(drop),
                         nn.Linear(hidden_dims, out_dims or in_dims),
                         nn.Dropout(drop))

    def entry_weights(self, entries: Tensor) -> Tuple[Tensor, ...]:
        """The parameters :meth:`forward_entries` uses: the first layer's
        weight columns and the second's rows and bias entries ``entries``
        (E,) long (input and output widths must agree)."""
        return (self[0].weight[:, entries], self[3].weight[entries],
                self[3].bias[entries])

    def forward_entries(self, x: Tensor,
                        weights: Tuple[Tensor, ...]) -> Tensor:
        """The MLP of inputs that are zero outside some entries, computed on
        those channels alone: (..., E) -> the (..., E) same channels of the
        output; ``weights`` from :meth:`entry_weights`."""
        fc1, act, drop1, _, drop2 = self
        fc1_weight, fc2_weight, fc2_bias = weights
        hidden = drop1(act(F.linear(x, fc1_weight, fc1.bias)))
        return drop2(F.linear(hidden, fc2_weight, fc2_bias))
