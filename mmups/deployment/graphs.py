"""The parts of UPS inference that are exported as ONNX graphs.

Three graphs cover what ``UPS.predict`` computes for one task; the greedy
loop around the last one stays in Python (``SequenceHead.greedy_decode``),
where the task's grammar masks every step as in PyTorch:

* :class:`EncoderGraph`: the joint tokenizer and the encoder along the
  task's route, joint coordinates -> the decoder memory and its mask. The
  joint layout comes in as data (its graphs and canonical slots), so one
  graph serves every layout of the tokenizer.
* :class:`DecoderInitGraph`: what the decoder computes once per batch: the
  projected vocabulary, the task's start token and the memory's
  cross-attention keys/values of every block.
* :class:`DecoderStepGraph`: one decoding step, its self-attention
  key/value cache an explicit input and output.

Each module calls the model's own methods, so an exported graph computes
what the PyTorch model does. Axis names: N batch, M persons, T frames, V
joints of the input's layout, S memory tokens, K vocabulary tokens, C
decoder channels, H heads, P decoded positions so far.
"""
from typing import List, Sequence, Tuple

from torch import Tensor, nn


def decoder_cache_names(num_blocks: int, kind: str) -> List[str]:
    """Input/output names of the decoder's per-block keys and values:
    ``kind`` is ``'cross'`` (the memory's), ``'past'`` (the self-attention
    cache going into a step) or ``'present'`` (coming out of it)."""
    return [f'{kind}_{what}_{i}' for i in range(num_blocks)
            for what in ('key', 'value')]


class EncoderGraph(nn.Module):
    """Tokenizer + routed encoder of one task (``UPS.encode`` after the
    task kind's input preparation).

    Args:
        model: the UPS model (in evaluation mode).
        task: the task whose route (``UPS.get_routes()``) is exported.
    """

    input_names = ('joints', 'graphs', 'slots')
    output_names = ('memory', 'memory_mask')

    def __init__(self, model: nn.Module, task: str) -> None:
        super().__init__()
        self.model = model
        self.route = model.get_routes()[task]

    def forward(self, joints: Tensor, graphs: Tensor,
                slots: Tensor) -> Tuple[Tensor, Tensor]:
        """
        Args:
            joints: (N, M, T, V, 3) coordinates of one layout, as the
                tokenizer reads them.
            graphs: (num_layers, n_sub, V, V) the layout's graph of each
                tokenizer layer (``JointTokenizer.layout_graphs``).
            slots: (V,) long, the canonical slot of each joint.

        Returns:
            memory (N, S, D) and memory_mask (N, S) bool, as ``UPS.encode``.
        """
        tokenizer = self.model.tokenizer
        tokens, joint_mask = tokenizer.place_in_slots(
            tokenizer.tokenize_with_graphs(joints, graphs), slots)
        tokens = self.model.encoder.forward_route(tokens, joint_mask,
                                                  self.route)
        return self.model.memory_of(joints, tokens, joint_mask)


class DecoderInitGraph(nn.Module):
    """The once-per-batch part of ``SequenceHead.generate`` for one task.

    Args:
        model: the UPS model (in evaluation mode).
        task: the task whose decoder start token is exported (its tau, or
            its own start embedding: ``UPS.task_embedding``).
    """

    input_names = ('memory', 'vocab_table')

    def __init__(self, model: nn.Module, task: str) -> None:
        super().__init__()
        self.head = model.head
        self.task = task
        # A submodule, so that the start token's parameter (tau, or the
        # task's own start embedding) is the graph's.
        self.model = model
        # The vocabulary the model was trained with standardises the table
        # (rows added at inference, e.g. new class names, come after it).
        self.num_reference_tokens = model.vocabulary.num_base_tokens
        self.output_names = ('start_embed', 'vocab_embed') + tuple(
            decoder_cache_names(len(self.head.blocks), 'cross'))

    def forward(self, memory: Tensor, vocab_table: Tensor) -> Tuple:
        """
        Args:
            memory: (N, S, D) encoder memory.
            vocab_table: (K, D_table) the vocabulary's token table.

        Returns:
            start_embed (N, 1, C), vocab_embed (K, C), then the key and the
            value (N, H, S, C / H) of the memory for each block.
        """
        head = self.head
        vocab_embed = head.embed_vocab(
            vocab_table, num_reference_tokens=self.num_reference_tokens)
        n = memory.shape[0]
        start = head.embed_bos(self.model.task_embedding(self.task, n))
        projected = head.embed_memory(memory)
        cross: List[Tensor] = []
        for block in head.blocks:
            cross.extend(block.cross_attn.key_values(projected))
        return (start, vocab_embed, *cross)


class DecoderStepGraph(nn.Module):
    """One step of ``SequenceHead.generate`` with the key/value cache.

    Args:
        head: the model's ``SequenceHead`` (in evaluation mode).
    """

    def __init__(self, head: nn.Module) -> None:
        super().__init__()
        self.head = head
        num = len(head.blocks)
        self.input_names = (
            ('input_embed', 'position', 'memory_mask', 'vocab_embed') +
            tuple(decoder_cache_names(num, 'cross')) +
            tuple(decoder_cache_names(num, 'past')))
        self.output_names = ('logits', ) + tuple(
            decoder_cache_names(num, 'present'))

    def forward(self, input_embed: Tensor, position: Tensor,
                memory_mask: Tensor, vocab_embed: Tensor,
                *caches: Tensor) -> Tuple:
        """
        Args:
            input_embed: (N, 1, C) embedding of the step's input token.
            position: (1,) long, its position (the step, 0-based).
            memory_mask: (N, S) bool, True for memory tokens to attend.
            vocab_embed: (K, C) projected vocabulary.
            caches: the memory's key and value of each block, then the
                self-attention key and value (N, H, P, C / H) of each block
                over the P positions before this one.

        Returns:
            logits (N, K) of the step (unmasked), then each block's
            self-attention key and value (N, H, P + 1, C / H).
        """
        head = self.head
        num = len(head.blocks)
        cross, past = caches[:2 * num], caches[2 * num:]
        x = head.drop(input_embed + head.pos_embed.index_select(0, position))
        block_caches = [
            dict(self=dict(k=past[2 * i], v=past[2 * i + 1]),
                 cross=dict(k=cross[2 * i], v=cross[2 * i + 1]))
            for i in range(num)]
        hidden = head.run_blocks(x, None, memory_mask, block_caches)
        present: Sequence[Tensor] = [
            t for c in block_caches for t in (c['self']['k'], c['self']['v'])]
        return (head.token_logits(hidden[:, -1], vocab_embed), *present)


class DecoderSequenceGraph(nn.Module):
    """The one decoder pass of ``SequenceHead.generate`` where every input
    is known before decoding (``parallel``: pose sequences with their
    coordinate inputs hidden): the logits of every position at once.

    Args:
        head: the model's ``SequenceHead`` (in evaluation mode).
    """

    def __init__(self, head: nn.Module) -> None:
        super().__init__()
        self.head = head
        self.input_names = (('input_embeds', 'memory_mask', 'vocab_embed') +
                            tuple(decoder_cache_names(len(head.blocks),
                                                      'cross')))
        self.output_names = ('logits', )

    def forward(self, input_embeds: Tensor, memory_mask: Tensor,
                vocab_embed: Tensor, *cross: Tensor) -> Tensor:
        """
        Args:
            input_embeds: (N, L, C) the inputs of positions 0 .. L-1 (the
                start token, then the fed-back tokens' embeddings).
            memory_mask, vocab_embed: as in :class:`DecoderStepGraph`.
            cross: the memory's key and value of each block.

        Returns:
            logits (N, L, K) of every position (unmasked).
        """
        head = self.head
        length = input_embeds.shape[1]
        x = head.drop(input_embeds + head.pos_embed[:length])
        caches = [dict(self={}, cross=dict(k=cross[2 * i], v=cross[2 * i + 1]))
                  for i in range(len(head.blocks))]
        return head.token_logits(head.run_blocks(x, None, memory_mask, caches),
                                 vocab_embed)
