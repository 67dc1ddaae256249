"""Tests of the UPS sequence head (decoder over the unified vocabulary)."""
from typing import List, Optional

import pytest
import torch
from torch import Tensor

from mmups.models.heads import SequenceHead
from mmups.registry import MODELS

# Toy unified vocabulary: classes, x/y/z bins, then 3 EOT tokens.
NUM_CLS, NUM_BINS = 5, 4
NUM_TOKENS = NUM_CLS + 3 * NUM_BINS + 3
EOT_AR, EOT_PE, EOT_AP = range(NUM_CLS + 3 * NUM_BINS, NUM_TOKENS)
EOT_IDS = torch.tensor([EOT_AR, EOT_PE, EOT_AP])
TEXT_DIMS, MEMORY_DIMS, TASK_DIMS = 12, 10, 6


class ToyGrammar:
    """Per-sample grammar with the protocol ``SequenceHead.generate`` expects.

    ``joints[n]`` is None for an action sample (one class token, then its
    EOT, ``eots[n]``) or J for a pose sample (3 * J coordinate bins cycling
    through the x, y, z axes, then ``EOT_PE``). Nothing is allowed after the
    end of a sample.
    """

    def __init__(self, joints: List[Optional[int]],
                 action_eots: Optional[List[int]] = None) -> None:
        self.joints = joints
        action_eots = action_eots or [EOT_AR] * len(joints)
        self.eot_ids = torch.tensor([
            EOT_PE if j is not None else eot
            for j, eot in zip(joints, action_eots)])
        self.lengths = torch.tensor(
            [2 if j is None else 3 * j + 1 for j in joints])
        self.max_length = int(self.lengths.max())

    def allowed(self, step: int) -> Tensor:
        out = torch.zeros(len(self.joints), NUM_TOKENS, dtype=torch.bool)
        for n, j in enumerate(self.joints):
            if step == self.lengths[n] - 1:
                out[n, self.eot_ids[n]] = True
            elif step >= self.lengths[n]:
                continue
            elif j is None:
                out[n, :NUM_CLS] = True
            else:
                start = NUM_CLS + (step % 3) * NUM_BINS
                out[n, start:start + NUM_BINS] = True
        return out

    def subset(self, index: int) -> 'ToyGrammar':
        """The grammar of sample ``index`` alone."""
        eot = int(self.eot_ids[index])
        return ToyGrammar([self.joints[index]], [eot])

    def random_targets(self, gen: torch.Generator) -> Tensor:
        """(N, max_length) random valid sequences padded with -1."""
        targets = torch.full((len(self.joints), self.max_length), -1)
        for step in range(self.max_length):
            allowed = self.allowed(step)
            for n in range(len(self.joints)):
                ids = allowed[n].nonzero().flatten()
                if len(ids):
                    pick = torch.randint(len(ids), (1,), generator=gen)
                    targets[n, step] = ids[pick]
        return targets


@pytest.fixture(autouse=True)
def _one_thread():
    """These models are tiny: a second intra-op thread gains nothing and,
    on a busy machine, its synchronisation made the tests many times
    slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def make_head(seed: int = 0, **kwargs) -> SequenceHead:
    torch.manual_seed(seed)
    cfg = dict(text_dims=TEXT_DIMS, memory_dims=MEMORY_DIMS,
               task_dims=TASK_DIMS, embed_dims=32, num_layers=2, num_heads=4,
               dropout=0., max_length=16)
    cfg.update(kwargs)
    return SequenceHead(**cfg).eval()


def scramble(head: SequenceHead, seed: int) -> SequenceHead:
    """Large random weights, so that greedy decoding is far from the trivial
    "repeat the previous token" of a freshly initialised tied head."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in head.parameters():
            if p.dim() > 1:
                p.copy_(torch.randn(p.shape, generator=gen) * 0.3)
    return head


def make_inputs(num: int, seed: int, num_memory: int = 7,
                num_masked: int = 0):
    """Random memory (first ``num_masked`` tokens of odd samples masked),
    task embeddings and vocabulary table."""
    gen = torch.Generator().manual_seed(seed)
    memory = torch.randn(num, num_memory, MEMORY_DIMS, generator=gen)
    mask = torch.ones(num, num_memory, dtype=torch.bool)
    mask[1::2, :num_masked] = False
    task = torch.randn(num, TASK_DIMS, generator=gen)
    # A shared component plus small differences, like real text embeddings.
    vocab = (torch.randn(1, TEXT_DIMS, generator=gen) * 5 +
             torch.randn(NUM_TOKENS, TEXT_DIMS, generator=gen) * 0.1)
    return memory, mask, task, vocab


def test_build_and_forward_shapes():
    head = MODELS.build(
        dict(type='SequenceHead', text_dims=TEXT_DIMS,
             memory_dims=MEMORY_DIMS, task_dims=TASK_DIMS, embed_dims=32,
             num_layers=2, num_heads=4, max_length=16))
    assert isinstance(head, SequenceHead)
    memory, mask, task, vocab = make_inputs(3, seed=0, num_masked=2)
    ids = torch.randint(0, NUM_TOKENS, (3, 5))
    ids[0, 3:] = -1  # padding is accepted
    logits = head(memory, mask, task, vocab, ids)
    assert logits.shape == (3, 6, NUM_TOKENS)
    assert torch.isfinite(logits).all()
    assert head(memory, mask, task, vocab, ids[:, :0]).shape == (
        3, 1, NUM_TOKENS)
    # Embeddings of the standardised, projected vocabulary.
    assert head.embed_vocab(vocab).shape == (NUM_TOKENS, 32)


def test_initial_logit_scale():
    """Logits start at about unit spread: near-uniform but not flat."""
    head = make_head()
    memory, mask, task, vocab = make_inputs(8, seed=1)
    logits = head(memory, mask, task, vocab,
                  torch.randint(0, NUM_TOKENS, (8, 6)))
    assert 0.3 < logits.std() < 3


def test_vocab_standardisation_separates_near_duplicates():
    head = make_head()
    _, _, _, vocab = make_inputs(1, seed=2)
    raw = torch.nn.functional.normalize(vocab, dim=1)
    embed = torch.nn.functional.normalize(head.embed_vocab(vocab), dim=1)
    raw_cos = (raw @ raw.t())[~torch.eye(NUM_TOKENS, dtype=torch.bool)]
    cos = (embed @ embed.t())[~torch.eye(NUM_TOKENS, dtype=torch.bool)]
    assert raw_cos.min() > 0.99  # the toy table is nearly collinear
    assert cos.abs().mean() < 0.5
    # Standardisation is invariant to a shared offset and scale of the table.
    assert torch.allclose(head.embed_vocab(vocab * 3 + 7),
                          head.embed_vocab(vocab), atol=1e-4)


def test_appended_tokens_leave_trained_tokens_unchanged():
    """Rows appended at inference (new class names) are standardised with
    the trained rows' statistics, so trained tokens' logits do not move."""
    head = make_head().eval()
    memory, mask, task, vocab = make_inputs(2, seed=4)
    extra = torch.cat([vocab, vocab[:2] * 1.5 + 0.3])
    out = head.generate(memory, mask, task, vocab, max_length=1)
    wide = head.generate(memory, mask, task, extra, max_length=1,
                         num_reference_tokens=NUM_TOKENS)
    assert torch.allclose(wide['first_logits'][:, :NUM_TOKENS],
                          out['first_logits'], atol=1e-5)
    shifted = head.generate(memory, mask, task, extra, max_length=1)
    assert not torch.allclose(shifted['first_logits'][:, :NUM_TOKENS],
                              out['first_logits'], atol=1e-3)


def test_loss_matches_eq3_and_padding():
    head = make_head()
    memory, mask, task, vocab = make_inputs(3, seed=3, num_masked=2)
    targets = torch.tensor([[1, EOT_AR, -1, -1, -1],
                            [6, 11, 15, EOT_PE, -1],
                            [7, 10, 14, 8, EOT_PE]])
    out = head.loss(memory, mask, task, vocab, targets)
    assert set(out) == {'loss_seq', 'acc_token', 'logits'}
    assert out['loss_seq'].dim() == 0 and out['loss_seq'].requires_grad
    assert not out['acc_token'].requires_grad
    assert 0 <= out['acc_token'] <= 1

    # Eq. 3 per sample on its own (unpadded) sequence, then the batch mean.
    per_sample = []
    for n in range(3):
        target = targets[n][targets[n] >= 0][None]
        logits = head(memory[n:n + 1], mask[n:n + 1], task[n:n + 1], vocab,
                      target[:, :-1])
        logp = logits.log_softmax(-1).gather(-1, target[..., None])
        per_sample.append(-logp.mean())
    expected = torch.stack(per_sample).mean()
    assert torch.allclose(out['loss_seq'], expected, atol=1e-5)

    with pytest.raises(ValueError, match='right-padded'):
        head.loss(memory, mask, task, vocab,
                  torch.tensor([[1, -1, 2]] * 3))


def test_masked_training_softmax():
    """With the grammar's mask, tokens outside the grammar get exactly zero
    probability, and the loss is the cross-entropy over the allowed ones."""
    head = make_head()
    memory, mask, task, vocab = make_inputs(2, seed=5)
    grammar = ToyGrammar([None, 2])
    targets = torch.tensor([[3, EOT_AR, -1, -1, -1, -1, -1],
                            [6, 11, 13, 5, 9, 16, EOT_PE]])
    allowed = torch.stack([grammar.allowed(s) for s in range(7)], 1)
    out = head.loss(memory, mask, task, vocab, targets, allowed=allowed)
    probs = out['logits'].softmax(-1)
    valid = targets >= 0
    assert (probs[valid][~allowed[valid]] == 0).all()
    assert torch.allclose(probs[valid].sum(-1), torch.ones(int(valid.sum())))
    # Eq. 3 with the softmax renormalised over each step's allowed tokens.
    logits = head(memory, mask, task, vocab, targets[:, :-1])
    per_sample = []
    for n in range(2):
        steps = valid[n].nonzero().flatten()
        nll = [-(logits[n, s].masked_fill(~allowed[n, s], float('-inf'))
                 .log_softmax(-1)[targets[n, s]]) for s in steps]
        per_sample.append(torch.stack(nll).mean())
    assert torch.allclose(out['loss_seq'], torch.stack(per_sample).mean(),
                          atol=1e-5)
    # Unmasked, the loss is larger: out-of-grammar tokens take mass.
    plain = head.loss(memory, mask, task, vocab, targets)
    assert plain['loss_seq'] > out['loss_seq'] + 1e-3


def test_soft_targets_replace_the_one_hot_where_given():
    head = make_head()
    memory, mask, task, vocab = make_inputs(1, seed=6)
    targets = torch.tensor([[6, 11, 14, EOT_PE]])
    where = torch.tensor([[True, False, True, False]])
    ids = torch.tensor([[[5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16],
                         [0, 1, 2, 3]]])
    weights = torch.tensor([[[0.25, 0.5, 0.25, 0.], [0., 0., 0., 0.],
                             [0., 0.1, 0.8, 0.1], [0., 0., 0., 0.]]])
    out = head.loss(memory, mask, task, vocab, targets,
                    soft_targets=(where, ids, weights))
    logp = head(memory, mask, task, vocab, targets[:, :-1]).log_softmax(-1)[0]
    expected = torch.stack([
        -(logp[0, ids[0, 0]] * weights[0, 0]).sum(), -logp[1, 11],
        -(logp[2, ids[0, 2]] * weights[0, 2]).sum(), -logp[3, EOT_PE]]).mean()
    assert torch.allclose(out['loss_seq'], expected, atol=1e-5)


def test_causality():
    head = scramble(make_head(), seed=4)
    memory, mask, task, vocab = make_inputs(2, seed=4)
    ids = torch.randint(0, NUM_TOKENS, (2, 6))
    logits = head(memory, mask, task, vocab, ids)
    for j in range(6):
        changed = ids.clone()
        changed[:, j] = (changed[:, j] + 1) % NUM_TOKENS
        new = head(memory, mask, task, vocab, changed)
        # Input token j sits at decoder position j + 1.
        assert torch.allclose(new[:, :j + 1], logits[:, :j + 1], atol=1e-5)
        assert not torch.allclose(new[:, j + 1], logits[:, j + 1])


def test_memory_mask_respected():
    head = scramble(make_head(), seed=5)
    memory, mask, task, vocab = make_inputs(4, seed=5, num_masked=3)
    ids = torch.randint(0, NUM_TOKENS, (4, 5))
    grammar = ToyGrammar([None, 2, 1, 3])
    altered = memory.clone()
    altered[~mask] = torch.randn(int((~mask).sum()), MEMORY_DIMS) * 10
    assert torch.allclose(head(memory, mask, task, vocab, ids),
                          head(altered, mask, task, vocab, ids), atol=1e-5)
    for use_cache in (True, False):
        a = head.generate(memory, mask, task, vocab, grammar,
                          use_cache=use_cache)
        b = head.generate(altered, mask, task, vocab, grammar,
                          use_cache=use_cache)
        assert torch.equal(a['tokens'], b['tokens'])
    # The valid tokens do matter.
    altered[mask] += 1
    assert not torch.allclose(head(memory, mask, task, vocab, ids),
                              head(altered, mask, task, vocab, ids))
    # None means every memory token is valid.
    full = torch.ones_like(mask)
    assert torch.allclose(head(memory, None, task, vocab, ids),
                          head(memory, full, task, vocab, ids), atol=1e-6)


@pytest.mark.parametrize('seed', range(4))
def test_cached_and_uncached_generate_agree(seed):
    head = scramble(make_head(seed), seed)
    gen = torch.Generator().manual_seed(seed)
    joints = [None if torch.rand(1, generator=gen) < 0.4 else
              int(torch.randint(1, 5, (1,), generator=gen))
              for _ in range(5)]
    grammar = ToyGrammar(joints)
    memory, mask, task, vocab = make_inputs(5, seed, num_masked=2)

    cached = head.generate(memory, mask, task, vocab, grammar)
    plain = head.generate(memory, mask, task, vocab, grammar,
                          use_cache=False)
    assert torch.equal(cached['tokens'], plain['tokens'])
    assert torch.equal(cached['lengths'], plain['lengths'])
    assert torch.allclose(cached['first_logits'], plain['first_logits'],
                          atol=1e-5)

    kwargs = dict(max_length=12, stop_ids=EOT_IDS)
    cached = head.generate(memory, mask, task, vocab, **kwargs)
    plain = head.generate(memory, mask, task, vocab, use_cache=False,
                          **kwargs)
    assert torch.equal(cached['tokens'], plain['tokens'])
    assert torch.equal(cached['lengths'], plain['lengths'])


def test_generate_matches_teacher_forcing():
    """Greedy tokens are the arg-max of the teacher-forced logits fed with
    those same tokens; ``first_logits`` are the logits after BOS."""
    head = scramble(make_head(), seed=6)
    memory, mask, task, vocab = make_inputs(3, seed=6, num_masked=2)
    for use_cache in (True, False):
        out = head.generate(memory, mask, task, vocab, max_length=10,
                            use_cache=use_cache)
        assert out['tokens'].shape == (3, 10)
        assert (out['lengths'] == 10).all()
        logits = head(memory, mask, task, vocab, out['tokens'][:, :-1])
        assert torch.equal(logits.argmax(-1), out['tokens'])
        assert torch.allclose(out['first_logits'], logits[:, 0], atol=1e-5)
    # Several distinct tokens: the check above is not trivial.
    assert out['tokens'].unique().numel() > 3


def test_unconstrained_stop_ids():
    head = scramble(make_head(), seed=7)
    memory, mask, task, vocab = make_inputs(6, seed=7)
    # Stop on whichever token each sample emits at step 2 (or earlier).
    full = head.generate(memory, mask, task, vocab, max_length=8)
    stop_ids = full['tokens'][:, 2].unique()
    out = head.generate(memory, mask, task, vocab, max_length=8,
                        stop_ids=stop_ids)
    for n in range(6):
        row, length = out['tokens'][n], int(out['lengths'][n])
        is_stop = torch.isin(full['tokens'][n], stop_ids)
        expected = int(is_stop.nonzero()[0]) + 1
        assert length == expected <= 3
        assert torch.equal(row[:length], full['tokens'][n, :length])
        assert (row[length:] == -1).all()
    assert out['tokens'].shape[1] == int(out['lengths'].max())


def test_grammar_is_never_violated():
    gen = torch.Generator().manual_seed(8)
    for trial in range(6):
        head = scramble(make_head(trial), seed=100 + trial)
        num = int(torch.randint(1, 7, (1,), generator=gen))
        joints = [None if torch.rand(1, generator=gen) < 0.4 else
                  int(torch.randint(1, 5, (1,), generator=gen))
                  for _ in range(num)]
        # Recognition or early prediction: different end tokens.
        action_eots = [(EOT_AR, EOT_AP)[int(i)] for i in
                       torch.randint(0, 2, (num,), generator=gen)]
        grammar = ToyGrammar(joints, action_eots)
        memory, mask, task, vocab = make_inputs(num, 200 + trial,
                                                num_masked=2)
        out = head.generate(memory, mask, task, vocab, grammar,
                            use_cache=bool(trial % 2))
        tokens, lengths = out['tokens'], out['lengths']
        assert torch.equal(lengths, grammar.lengths)
        assert tokens.shape == (num, grammar.max_length)
        for step in range(tokens.shape[1]):
            allowed = grammar.allowed(step)
            for n in range(num):
                if step < lengths[n]:
                    assert allowed[n, tokens[n, step]]
                else:
                    assert tokens[n, step] == -1
        ends = tokens.gather(1, (lengths - 1)[:, None]).flatten()
        assert torch.equal(ends, grammar.eot_ids)
        assert out['first_logits'].shape == (num, NUM_TOKENS)


def test_batched_generate_equals_single_sample():
    """Finished samples (padding) do not influence the others."""
    head = scramble(make_head(), seed=9)
    grammar = ToyGrammar([None, 3, 1, None, 2])
    memory, mask, task, vocab = make_inputs(5, seed=9, num_masked=3)
    batch = head.generate(memory, mask, task, vocab, grammar)
    for n in range(5):
        single = head.generate(memory[n:n + 1], mask[n:n + 1],
                               task[n:n + 1], vocab, grammar.subset(n))
        length = int(single['lengths'][0])
        assert length == batch['lengths'][n]
        assert torch.equal(single['tokens'][0, :length],
                           batch['tokens'][n, :length])


def test_gradients_reach_task_embedding_and_vocab_projection():
    head = make_head().train()
    memory, mask, task, vocab = make_inputs(3, seed=10, num_masked=2)
    task.requires_grad_(True)
    targets = ToyGrammar([None, 1, 2]).random_targets(
        torch.Generator().manual_seed(10))
    head.loss(memory, mask, task, vocab, targets)['loss_seq'].backward()
    assert task.grad is not None and task.grad.abs().sum() > 0
    assert head.vocab_proj.weight.grad.abs().sum() > 0
    assert head.logit_scale.grad is not None
    assert all(p.grad is not None for p in head.parameters())


def test_memorises_a_small_batch():
    torch.manual_seed(11)
    grammar = ToyGrammar([None, 1, 2, None], [EOT_AR, EOT_PE, EOT_PE,
                                              EOT_AP])
    targets = grammar.random_targets(torch.Generator().manual_seed(11))
    head = make_head(11).train()
    memory, mask, task, vocab = make_inputs(4, seed=11, num_masked=2)
    optim = torch.optim.Adam(head.parameters(), lr=3e-3)
    losses = []
    for _ in range(200):
        out = head.loss(memory, mask, task, vocab, targets)
        optim.zero_grad()
        out['loss_seq'].backward()
        optim.step()
        losses.append(out['loss_seq'].item())
    assert losses[-1] < 0.05 < losses[0]
    assert out['acc_token'] == 1

    head.eval()
    for use_cache in (True, False):
        pred = head.generate(memory, mask, task, vocab, grammar,
                             use_cache=use_cache)
        assert torch.equal(pred['tokens'], targets)
        free = head.generate(memory, mask, task, vocab,
                             max_length=grammar.max_length,
                             stop_ids=EOT_IDS, use_cache=use_cache)
        assert torch.equal(free['tokens'], targets)
        assert torch.equal(free['lengths'], grammar.lengths)


def test_too_long_sequences_raise():
    head = make_head(max_length=8)
    memory, mask, task, vocab = make_inputs(2, seed=12)
    head(memory, mask, task, vocab, torch.zeros(2, 7, dtype=torch.long))
    with pytest.raises(ValueError, match='max_length'):
        head(memory, mask, task, vocab, torch.zeros(2, 8, dtype=torch.long))
    with pytest.raises(ValueError, match='max_length'):
        head.loss(memory, mask, task, vocab,
                  torch.zeros(2, 9, dtype=torch.long))
    head.generate(memory, mask, task, vocab, max_length=8)
    with pytest.raises(ValueError, match='max_length'):
        head.generate(memory, mask, task, vocab, max_length=9)
    with pytest.raises(ValueError, match='max_length'):
        head.generate(memory, mask, task, vocab, ToyGrammar([4, None]))
    with pytest.raises(ValueError, match='needs max_length'):
        head.generate(memory, mask, task, vocab)


def test_cache_does_the_expected_work():
    """Benchmark-free sanity of the KV cache: with it, each step feeds one
    query position and the memory is projected to keys/values once per
    layer; without it, the whole prefix and the memory are redone."""
    head = make_head()
    memory, mask, task, vocab = make_inputs(2, seed=13)
    calls = {'cross_kv': 0, 'self_q': []}

    def count_cross(module, args, output):
        calls['cross_kv'] += 1

    def record_self(module, args, output):
        calls['self_q'].append(args[0].shape[1])

    block = head.blocks[0]
    handles = [block.cross_attn.kv.register_forward_hook(count_cross),
               block.self_attn.q.register_forward_hook(record_self)]
    try:
        head.generate(memory, mask, task, vocab, max_length=6)
        assert calls == {'cross_kv': 1, 'self_q': [1] * 6}
        calls.update(cross_kv=0, self_q=[])
        head.generate(memory, mask, task, vocab, max_length=6,
                      use_cache=False)
        assert calls == {'cross_kv': 6, 'self_q': [1, 2, 3, 4, 5, 6]}
    finally:
        for handle in handles:
            handle.remove()


COORD_IDS = torch.zeros(NUM_TOKENS, dtype=torch.bool)
COORD_IDS[NUM_CLS:NUM_CLS + 3 * NUM_BINS] = True


@pytest.mark.parametrize('seed', range(3))
def test_parallel_decoding_of_hidden_inputs_equals_the_step_loop(
        seed, monkeypatch):
    """With every coordinate input hidden, a batch of pose samples decodes
    in one decoder pass, to the tokens and logits of the step by step loop
    (cached and uncached); a batch with an action sample, whose class token
    is fed back, keeps the loop."""
    head = scramble(make_head(seed), seed)
    memory, mask, task, vocab = make_inputs(4, seed, num_masked=2)
    passes = []
    decode = head._decode
    monkeypatch.setattr(head, '_decode', lambda x, *a, **k: (
        passes.append(x.shape[1]), decode(x, *a, **k))[1])

    grammar = ToyGrammar([4, 2, 4, 3])  # poses of 12, 6, 12, 9 tokens + EOT
    assert SequenceHead.inputs_known(grammar, COORD_IDS, grammar.max_length)
    fast = head.generate(memory, mask, task, vocab, grammar,
                         hidden_ids=COORD_IDS, return_logits=True)
    assert passes == [13]  # one pass over BOS + 12 inputs
    for use_cache in (True, False):
        slow = head.generate(memory, mask, task, vocab, grammar,
                             hidden_ids=COORD_IDS, return_logits=True,
                             use_cache=use_cache, parallel=False)
        assert torch.equal(fast['tokens'], slow['tokens'])
        assert torch.equal(fast['lengths'], slow['lengths'])
        # Past a sample's end its logits are meaningless (and differ).
        valid = (torch.arange(fast['logits'].shape[1])[None] <
                 fast['lengths'][:, None])
        assert torch.allclose(fast['logits'][valid], slow['logits'][valid],
                              atol=1e-5)
        assert torch.allclose(fast['first_logits'], slow['first_logits'],
                              atol=1e-5)
    assert fast['tokens'].unique().numel() > 4
    # Truncated by max_length: the same too.
    fast = head.generate(memory, mask, task, vocab, grammar, max_length=5,
                         hidden_ids=COORD_IDS)
    slow = head.generate(memory, mask, task, vocab, grammar, max_length=5,
                         hidden_ids=COORD_IDS, parallel=False)
    assert torch.equal(fast['tokens'], slow['tokens'])

    # An action sample feeds its class token back: not known in advance.
    mixed = ToyGrammar([4, None, 3, 2])
    assert not SequenceHead.inputs_known(mixed, COORD_IDS, mixed.max_length)
    passes.clear()
    fast = head.generate(memory, mask, task, vocab, mixed,
                         hidden_ids=COORD_IDS)
    slow = head.generate(memory, mask, task, vocab, mixed,
                         hidden_ids=COORD_IDS, parallel=False)
    assert len(passes) == 2 * mixed.max_length
    assert torch.equal(fast['tokens'], slow['tokens'])
    # Without hidden inputs nothing is known in advance either.
    passes.clear()
    head.generate(memory, mask, task, vocab, grammar)
    assert len(passes) == grammar.max_length
