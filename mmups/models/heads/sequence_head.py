"""UPS decoder: an autoregressive transformer over the unified vocabulary.

The head predicts one output sequence per sample (an action token, or the
pose token sequence ``x, y, z, x, y, z, ...``, each closed by its task's EOT
token), conditioned on the encoder tokens (cross-attention) and on the task
embedding (which produces the start token).

The vocabulary is not a learned lookup table: every call receives the text
embeddings of the vocabulary entries, ``vocab_table`` (K, D_text), and the head
maps them to its own width with a learned projection. That projected table
``E`` (K, C) is used twice, like tied input/output embeddings in a language
model: the embedding of token ``i`` is ``E[i]``, and the logits are the
similarities of the decoder state with every row of ``E``.

Axis names in the docstrings: N batch, L sequence length, S memory (encoder)
tokens, C channels, K vocabulary tokens.
"""
from typing import Callable, Dict, List, Optional, Protocol, Tuple

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmups.models.layers.attention import MLP, MultiHeadAttention
from mmups.registry import MODELS


class Grammar(Protocol):
    """What :meth:`SequenceHead.generate` needs from a decoding grammar.

    Attributes:
        max_length: most output tokens any sample may need, EOT included.
        eot_ids: (N,) each sample's end token; a sample is finished once it
            has emitted it.
    """

    max_length: int
    eot_ids: Tensor

    def allowed(self, step: int) -> Tensor:
        """(N, K) bool: the tokens each sample may emit at output ``step``
        (0-based)."""


class DecoderBlock(nn.Module):
    """Pre-norm transformer decoder block.

    ``x += SelfAttn(LN(x))`` (causal), ``x += CrossAttn(LN(x), memory)``,
    ``x += MLP(LN(x))``.
    """

    def __init__(self, embed_dims: int, num_heads: int, mlp_ratio: float,
                 dropout: float) -> None:
        super().__init__()
        self.ln_self = nn.LayerNorm(embed_dims)
        self.self_attn = MultiHeadAttention(
            embed_dims, num_heads, attn_drop=dropout, proj_drop=dropout)
        self.ln_cross = nn.LayerNorm(embed_dims)
        self.cross_attn = MultiHeadAttention(
            embed_dims, num_heads, attn_drop=dropout, proj_drop=dropout)
        self.ln_mlp = nn.LayerNorm(embed_dims)
        self.mlp = MLP(embed_dims, int(embed_dims * mlp_ratio), drop=dropout)

    def forward(self,
                x: Tensor,
                memory: Tensor,
                memory_mask: Optional[Tensor],
                cache: Optional[Dict[str, Dict[str, Tensor]]] = None
                ) -> Tensor:
        """
        Args:
            x: (N, L, C) decoder inputs; with a cache, only the new positions.
            memory: (N, S, C) projected encoder tokens.
            memory_mask: (N, S) bool, True = valid, or None (all valid).
            cache: ``dict(self={}, cross={})`` of this block, updated in place,
                or None to attend over ``x`` alone.

        Returns:
            (N, L, C) outputs.
        """
        self_cache = cross_cache = None
        if cache is not None:
            self_cache, cross_cache = cache['self'], cache['cross']
        x = x + self.self_attn(self.ln_self(x), causal=True, cache=self_cache)
        x = x + self.cross_attn(
            self.ln_cross(x), memory, key_padding_mask=memory_mask,
            cache=cross_cache, static_kv=True)
        return x + self.mlp(self.ln_mlp(x))


@MODELS.register_module()
class SequenceHead(BaseModule):
    """UPS decoder (Sec. 3.3) with the unified-vocabulary output layer.

    Args:
        text_dims: channels of the vocabulary text embeddings.
        memory_dims: channels of the encoder tokens.
        task_dims: channels of the task embedding.
        embed_dims: C, width of the decoder.
        num_layers: number of decoder blocks.
        num_heads: attention heads per block.
        mlp_ratio: hidden width of the MLPs relative to ``embed_dims``.
        dropout: dropout of attention weights, projections and MLPs.
        max_length: most decoder input positions, the start token included.
            ``forward`` accepts ``input_ids`` of length up to
            ``max_length - 1``; ``loss`` and ``generate`` handle sequences of
            up to ``max_length`` output tokens.
        pos_embed_std: standard deviation of the initial positional
            embeddings of the positions after the start token (the start
            position's start at 0.02). Where the fed-back tokens are
            hidden (UPS' ``coord_input_dropout=1``) they are all that tells
            the decoder which joint and axis comes next, and a unit scale
            learnt faster than 0.02 (see configs/_base_/models/ups.py); at
            0.02 with the start position too, the action tasks' first step
            is as it was.
        init_cfg: mmengine initialisation config (applied by
            ``init_weights()`` on top of the default initialisation below).
    """

    def __init__(self,
                 text_dims: int,
                 memory_dims: int,
                 task_dims: int = 256,
                 embed_dims: int = 256,
                 num_layers: int = 3,
                 num_heads: int = 8,
                 mlp_ratio: float = 4.0,
                 dropout: float = 0.1,
                 max_length: int = 160,
                 pos_embed_std: float = 0.02,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.embed_dims = embed_dims
        self.max_length = max_length

        self.vocab_proj = nn.Linear(text_dims, embed_dims)
        self.vocab_norm = nn.LayerNorm(embed_dims)
        self.memory_proj = nn.Linear(memory_dims, embed_dims)
        self.memory_norm = nn.LayerNorm(embed_dims)
        self.bos_proj = nn.Linear(task_dims, embed_dims)
        self.pos_embed = nn.Parameter(torch.zeros(max_length, embed_dims))
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(
            DecoderBlock(embed_dims, num_heads, mlp_ratio, dropout)
            for _ in range(num_layers))
        self.ln_f = nn.LayerNorm(embed_dims)
        # logits = ln_f(h) @ E.T * C**-0.5 * exp(logit_scale): with unit
        # LayerNorm gains, the cosine of h and E[i] times a temperature
        # sqrt(C) * exp(logit_scale).
        # Both factors are LayerNorm outputs (entries of about unit
        # variance), so at logit_scale = 0 unrelated pairs give logits of
        # about unit spread while an aligned pair reaches sqrt(C): a softmax
        # that is neither flat nor saturated, and the temperature is learned.
        # (At initialisation the residual stream is mostly the tied input
        # embedding, so the first steps favour "repeat the previous token";
        # training removes that within tens of steps, whereas a smaller
        # initial scale, e.g. exp(logit_scale) = C**-0.5 for plain cosines,
        # trained markedly slower in our checks.)
        self.logit_scale = nn.Parameter(torch.zeros(()))

        # Linear layers keep PyTorch's default initialisation: GPT-2's
        # normal(0, 0.02) (meant for widths of ~1k) made this head learn
        # several times slower at the widths used here (measured on the
        # demo: 36% vs 81% validation accuracy after 100 iterations).
        # The start position, whose input carries the task, keeps GPT-2's
        # small scale; later positions start at pos_embed_std (see Args).
        nn.init.normal_(self.pos_embed, std=pos_embed_std)
        nn.init.normal_(self.pos_embed[:1], std=0.02)

    # ----------------------------------------------------------------- parts
    def embed_vocab(self, vocab_table: Tensor, eps: float = 1e-5,
                    num_reference_tokens: Optional[int] = None) -> Tensor:
        """Project the vocabulary text embeddings to the decoder width.

        The table is first standardised per dimension over its K rows (no
        parameters): text embeddings of near-identical prompts such as "The
        17-th horizontal coordinate" and "The 18-th horizontal coordinate" are
        almost collinear, dominated by a component shared by all rows; after
        removing the shared mean and equalising the spread of each dimension
        their small differences become visible to the linear projection.

        Args:
            vocab_table: (K, D_text) text embeddings of the vocabulary.
            num_reference_tokens: take the statistics from the first rows
                only (the vocabulary the model was trained with), so that
                rows appended at inference (new class names) neither shift
                the trained tokens nor are standardised differently.
                None: all K rows.

        Returns:
            E: (K, C) token embeddings, also the output classifier.
        """
        # Statistics in float32 even when the table arrives in half precision.
        table = vocab_table.float()
        reference = table[:num_reference_tokens]
        mean = reference.mean(dim=0, keepdim=True)
        std = reference.std(dim=0, unbiased=False, keepdim=True)
        table = ((table - mean) / (std + eps)).to(self.vocab_proj.weight.dtype)
        return self.vocab_norm(self.vocab_proj(table))

    def embed_memory(self, memory: Tensor) -> Tensor:
        """(N, S, D_memory) encoder tokens -> (N, S, C)."""
        return self.memory_norm(self.memory_proj(memory))

    def embed_bos(self, task_embedding: Tensor) -> Tensor:
        """(N, D_task) task embeddings -> (N, 1, C) start tokens."""
        return self.bos_proj(task_embedding)[:, None, :]

    def token_logits(self, hidden: Tensor, vocab_embed: Tensor) -> Tensor:
        """Similarity of decoder states with the vocabulary embeddings.

        Args:
            hidden: (..., C) final decoder states (before ``ln_f``).
            vocab_embed: (K, C) projected vocabulary ``E``.

        Returns:
            (..., K) logits.
        """
        scale = self.embed_dims**-0.5 * self.logit_scale.exp()
        return self.ln_f(hidden) @ vocab_embed.t() * scale

    def _check_length(self, length: int) -> None:
        if length > self.max_length:
            raise ValueError(
                f'decoder input of {length} positions (start token included) '
                f'exceeds max_length={self.max_length} of '
                f'{type(self).__name__}')

    def _decode(self,
                x: Tensor,
                memory: Tensor,
                memory_mask: Optional[Tensor],
                start: int = 0,
                caches: Optional[List[dict]] = None) -> Tensor:
        """Run the blocks over inputs placed at positions ``start, ...``.

        Args:
            x: (N, L, C) input embeddings without positional embedding.
            memory: (N, S, C) projected encoder tokens.
            memory_mask: (N, S) bool, True = valid, or None.
            start: position of ``x[:, 0]`` (the number of cached positions).
            caches: one ``dict(self={}, cross={})`` per block, or None.

        Returns:
            (N, L, C) hidden states (``ln_f`` not applied).
        """
        self._check_length(start + x.shape[1])
        x = self.drop(x + self.pos_embed[start:start + x.shape[1]])
        return self.run_blocks(x, memory, memory_mask, caches)

    def run_blocks(self, x: Tensor, memory: Optional[Tensor],
                   memory_mask: Optional[Tensor],
                   caches: Optional[List[dict]] = None) -> Tensor:
        """The decoder blocks over (N, L, C) inputs that already carry their
        positional embeddings; ``memory`` may be None where every block's
        cache holds the memory's cross-attention keys/values. Arguments as
        in :meth:`_decode`."""
        for i, block in enumerate(self.blocks):
            x = block(x, memory, memory_mask,
                      None if caches is None else caches[i])
        return x

    # ------------------------------------------------------------ public API
    def forward(self, memory: Tensor, memory_mask: Optional[Tensor],
                task_embedding: Tensor, vocab_table: Tensor,
                input_ids: Tensor,
                hidden_inputs: Optional[Tensor] = None) -> Tensor:
        """Teacher-forced logits.

        The decoder input is ``[BOS, E[input_ids]]``; position j predicts
        target token j (position 0 the first token from BOS alone).

        Args:
            memory: (N, S, D_memory) encoder tokens.
            memory_mask: (N, S) bool, True = valid token; None = all valid.
            task_embedding: (N, D_task) embedding of each sample's task.
            vocab_table: (K, D_text) text embeddings of the vocabulary.
            input_ids: (N, L) long token ids; -1 (padding) is allowed, its
                outputs are meaningless and must be ignored by the caller.
            hidden_inputs: (N, L) bool, input tokens whose embedding is
                replaced by zeros (their positions keep their positional
                embedding): the decoder must then predict what follows
                them without their value. None: every input is seen.

        Returns:
            (N, L + 1, K) logits.
        """
        vocab_embed = self.embed_vocab(vocab_table)
        # Padding (-1) looks up token 0; causality keeps it from leaking into
        # the valid positions before it.
        tokens = vocab_embed[input_ids.clamp(min=0)]
        if hidden_inputs is not None:
            tokens = tokens.masked_fill(hidden_inputs[..., None], 0.)
        x = torch.cat([self.embed_bos(task_embedding), tokens], dim=1)
        hidden = self._decode(x, self.embed_memory(memory), memory_mask)
        return self.token_logits(hidden, vocab_embed)

    def loss(self, memory: Tensor, memory_mask: Optional[Tensor],
             task_embedding: Tensor, vocab_table: Tensor,
             target_ids: Tensor, allowed: Optional[Tensor] = None,
             soft_targets: Optional[Tuple[Tensor, Tensor, Tensor]] = None,
             hidden_inputs: Optional[Tensor] = None
             ) -> Dict[str, Tensor]:
        """Sequence NLL of eq. 3, averaged per sequence then over the batch.

        Each sample n contributes ``-1/K_n * sum_k log P(y_k | y_<k, X)`` over
        its own K_n valid tokens, so a one-token action sequence weighs as
        much as a long pose sequence.

        Args:
            memory, memory_mask, task_embedding, vocab_table: as in
                :meth:`forward`.
            target_ids: (N, L) long target tokens (EOT included), right-padded
                with -1.
            allowed: (N, L, K) bool, the tokens the grammar allows at each
                position: the softmax runs over these only, as decoding does
                (None: over all K tokens).
            soft_targets: ``(where, ids, weights)``: at the positions where
                ``where`` (N, L) bool is True, the target is the distribution
                ``weights`` (N, L, B) over the tokens ``ids`` (N, L, B)
                instead of the one token of ``target_ids`` (the loss there is
                the cross-entropy ``-sum_b w_b log P(ids_b)``).
            hidden_inputs: (N, L - 1) bool, teacher-forced inputs (target
                tokens 0 .. L-2) to hide, see :meth:`forward`.

        Returns:
            ``dict(loss_seq=scalar, acc_token=scalar, logits=(N, L, K))``;
            ``acc_token`` is the detached teacher-forced accuracy over all
            valid tokens; ``logits`` (masked where ``allowed`` is given) are
            for the caller's further losses, not a loss themselves.
        """
        valid = target_ids >= 0
        if not bool((valid[:, :-1] | ~valid[:, 1:]).all()):
            raise ValueError('target_ids must be right-padded: -1 may only '
                             'follow -1')
        logits = self(memory, memory_mask, task_embedding, vocab_table,
                      target_ids[:, :-1], hidden_inputs)
        if allowed is not None:
            logits = logits.masked_fill(~allowed, float('-inf'))
        log_probs = logits.float().log_softmax(-1)
        nll = -log_probs.gather(
            -1, target_ids.clamp(min=0)[..., None])[..., 0]
        if soft_targets is not None:
            where, ids, weights = soft_targets
            # 0 * -inf would be NaN where a masked token has no weight.
            soft = -(log_probs.gather(-1, ids).clamp(min=-1e4) *
                     weights).sum(-1)
            nll = torch.where(where, soft, nll)
        nll = nll.masked_fill(~valid, 0.)
        num_valid = valid.sum(dim=1)
        has_tokens = num_valid > 0
        per_sample = nll.sum(dim=1) / num_valid.clamp(min=1)
        # Samples without targets (if any) neither count nor divide.
        loss = per_sample.sum() / has_tokens.sum().clamp(min=1)
        with torch.no_grad():
            correct = (logits.argmax(dim=-1) == target_ids) & valid
            acc = correct.sum() / valid.sum().clamp(min=1)
        return dict(loss_seq=loss, acc_token=acc.float(), logits=logits)

    @torch.no_grad()
    def generate(self,
                 memory: Tensor,
                 memory_mask: Optional[Tensor],
                 task_embedding: Tensor,
                 vocab_table: Tensor,
                 grammar: Optional[Grammar] = None,
                 max_length: Optional[int] = None,
                 use_cache: bool = True,
                 stop_ids: Optional[Tensor] = None,
                 num_reference_tokens: Optional[int] = None,
                 return_logits: bool = False,
                 hidden_ids: Optional[Tensor] = None,
                 parallel: bool = True
                 ) -> Dict[str, Tensor]:
        """Greedy batched decoding.

        Every step appends the arg-max token of each unfinished sample. A
        sample finishes when it emits its end token (``grammar.eot_ids[n]``,
        or any of ``stop_ids`` without a grammar); afterwards its slots are
        -1 and its (ignored) computation cannot affect the other samples.
        Decoding stops when all samples are finished or after the maximum
        number of steps. Call ``eval()`` first: dropout would make the
        outputs random.

        Args:
            memory, memory_mask, task_embedding, vocab_table: as in
                :meth:`forward`.
            grammar: restricts the tokens of each step (see :class:`Grammar`);
                disallowed logits become -inf before the arg-max. None =
                unconstrained over all K tokens.
            max_length: most output tokens; defaults to
                ``grammar.max_length`` (a smaller value truncates) and is
                required without a grammar. At most ``self.max_length``.
            use_cache: feed only the newest token per step and reuse the
                cached self-attention keys/values and the memory's
                cross-attention keys/values; False recomputes the whole prefix
                every step (same tokens, slower).
            stop_ids: (M,) long, without a grammar: tokens that end a
                sequence (None: run to ``max_length``).
            num_reference_tokens: see :meth:`embed_vocab`.
            return_logits: also return every step's unmasked logits (for
                read-outs other than the arg-max, e.g. expectation decoding
                of coordinates).
            hidden_ids: (K,) bool, tokens whose embedding is fed back as
                zeros (see ``hidden_inputs`` of :meth:`forward`), for a
                model trained with those inputs hidden. None: none.
            parallel: where every input of the decoding is known before it
                runs (:meth:`inputs_known`: the grammar allows only hidden
                tokens, or the sample's end token, before the last step),
                run the decoder once over all positions instead of once per
                step. The inputs, and so the tokens, are those of the step
                by step loop; the logits agree to float rounding. A pose
                sequence (every coordinate hidden) then costs one decoder
                pass instead of 52.

        Returns:
            dict with
            ``tokens``: (N, L_out) long, each row's tokens (its end token
            included) then -1;
            ``lengths``: (N,) long, number of tokens of each row;
            ``first_logits``: (N, K) unmasked logits of the first step;
            ``logits``: (N, L_out, K) unmasked logits of every step (with
            ``return_logits``).
        """
        vocab_embed = self.embed_vocab(
            vocab_table, num_reference_tokens=num_reference_tokens)
        memory = self.embed_memory(memory)
        start_input = self.embed_bos(task_embedding)
        if parallel and grammar is not None and hidden_ids is not None:
            limit = self.decoding_limit(grammar, max_length)
            if self.inputs_known(grammar, hidden_ids, limit):
                # Inputs: the start token, then zeros (hidden tokens).
                x = torch.cat([start_input, start_input.new_zeros(
                    start_input.shape[0], max(limit - 1, 0),
                    start_input.shape[2])], dim=1)
                all_logits = self.token_logits(
                    self._decode(x, memory, memory_mask), vocab_embed)
                return self.greedy_decode(
                    lambda new_input, step: all_logits[:, step],
                    start_input, vocab_embed, grammar=grammar,
                    max_length=max_length, return_logits=return_logits,
                    hidden_ids=hidden_ids)
        caches = ([dict(self={}, cross={}) for _ in self.blocks]
                  if use_cache else None)
        seen = []  # without a cache: every input so far, (N, 1, C) each

        def step_logits(new_input: Tensor, step: int) -> Tensor:
            if use_cache:
                hidden = self._decode(new_input, memory, memory_mask,
                                      start=step, caches=caches)
            else:
                seen.append(new_input)
                hidden = self._decode(torch.cat(seen, dim=1), memory,
                                      memory_mask)
            return self.token_logits(hidden[:, -1], vocab_embed)

        return self.greedy_decode(
            step_logits, start_input, vocab_embed,
            grammar=grammar, max_length=max_length, stop_ids=stop_ids,
            return_logits=return_logits, hidden_ids=hidden_ids)

    @staticmethod
    def decoding_limit(grammar: Grammar,
                       max_length: Optional[int] = None) -> int:
        """Most output steps of a decoding with ``grammar``: its
        ``max_length``, or ``max_length`` where that is smaller."""
        limit = grammar.max_length
        return limit if max_length is None else min(limit, max_length)

    @staticmethod
    def inputs_known(grammar: Grammar, hidden_ids: Tensor,
                     limit: int) -> bool:
        """Whether greedy decoding's fed-back inputs are known before it
        runs: at each of the steps 0 .. ``limit`` - 2 (the last step's
        token is never fed back) the grammar allows each sample only hidden
        tokens (fed back as zeros, whichever is picked) and its own end
        token (after which its inputs no longer matter)."""
        eot = grammar.eot_ids
        for step in range(limit - 1):
            allowed = grammar.allowed(step).clone()
            allowed[torch.arange(len(eot), device=eot.device), eot] = False
            if bool((allowed & ~hidden_ids.to(allowed.device)).any()):
                return False
        return True

    def greedy_decode(self,
                      step_logits: Callable[[Tensor, int], Tensor],
                      start_input: Tensor,
                      vocab_embed: Tensor,
                      grammar: Optional[Grammar] = None,
                      max_length: Optional[int] = None,
                      stop_ids: Optional[Tensor] = None,
                      return_logits: bool = False,
                      hidden_ids: Optional[Tensor] = None
                      ) -> Dict[str, Tensor]:
        """The greedy loop of :meth:`generate` around any implementation of
        one decoder step (this head's blocks, or an exported graph of them
        run by another runtime), so that every backend masks, picks, feeds
        back and stops alike.

        Args:
            step_logits: ``step_logits(new_input, step)``: the (N, K)
                unmasked logits of output ``step`` (0-based) given the
                (N, 1, C) input embedding of that position (the start token
                at step 0, then the previous output's embedding); it keeps
                whatever state (caches) it needs.
            start_input: (N, 1, C) start token embeddings
                (:meth:`embed_bos`).
            vocab_embed: (K, C) projected vocabulary (:meth:`embed_vocab`),
                the fed-back tokens' embeddings.
            grammar, max_length, stop_ids, return_logits, hidden_ids: as in
                :meth:`generate`.

        Returns:
            as :meth:`generate`.
        """
        num = start_input.shape[0]
        device = start_input.device
        if grammar is not None:
            limit = self.decoding_limit(grammar, max_length)
            eot_ids = grammar.eot_ids.to(device)
        else:
            if max_length is None:
                raise ValueError('generate() without a grammar needs '
                                 'max_length')
            limit = max_length
            eot_ids = None
            if stop_ids is not None:
                stop_ids = torch.as_tensor(stop_ids, device=device).view(-1)
        # The last output token is never fed back, so ``limit`` outputs need
        # ``limit`` input positions (BOS + limit - 1 tokens).
        self._check_length(limit)

        tokens = torch.full((num, max(limit, 0)), -1, dtype=torch.long,
                            device=device)
        lengths = torch.zeros(num, dtype=torch.long, device=device)
        finished = torch.zeros(num, dtype=torch.bool, device=device)
        first_logits = None
        all_logits: List[Tensor] = []
        new_input = start_input  # (N, 1, C) the input of the next step
        steps = 0
        for step in range(limit):
            logits = step_logits(new_input, step)  # (N, K)
            if first_logits is None:
                first_logits = logits
            if return_logits:
                all_logits.append(logits)
            if grammar is not None:
                allowed = grammar.allowed(step).to(device)
                logits = logits.masked_fill(~allowed, float('-inf'))
            next_ids = logits.argmax(dim=-1)
            next_ids = next_ids.masked_fill(finished, -1)
            tokens[:, step] = next_ids
            lengths += (~finished).long()
            steps = step + 1
            if eot_ids is not None:
                finished |= next_ids == eot_ids
            elif stop_ids is not None:
                finished |= torch.isin(next_ids, stop_ids)
            if bool(finished.all()):
                break
            new_input = vocab_embed[next_ids.clamp(min=0)][:, None, :]
            if hidden_ids is not None:
                hide = hidden_ids.to(device)[next_ids.clamp(min=0)]
                new_input = new_input.masked_fill(hide[:, None, None], 0.)

        if first_logits is None:  # limit == 0
            first_logits = start_input.new_zeros(num, vocab_embed.shape[0])
        out = dict(tokens=tokens[:, :steps], lengths=lengths,
                   first_logits=first_logits)
        if return_logits:
            out['logits'] = (
                torch.stack(all_logits, 1) if all_logits else
                start_input.new_zeros(num, 0, vocab_embed.shape[0]))
        return out
