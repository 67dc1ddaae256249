import pytest
import torch

from mmups.models import RoutedEncoder
from mmups.skeleton import CANONICAL_JOINTS

V = len(CANONICAL_JOINTS)


def make(**kwargs):
    torch.manual_seed(0)
    cfg = dict(embed_dims=4, num_layers=3, num_blocks=2, num_tasks=4,
               task_dims=16, num_heads=2, mlp_ratio=1.0)
    cfg.update(kwargs)
    return RoutedEncoder(**cfg)


def inputs(n=2, m=2, t=5):
    x = torch.randn(n, m, t, V, 4)
    mask = torch.zeros(n, V, dtype=torch.bool)
    mask[:, :17] = True
    mask[1, 20:25] = True
    return x * mask[:, None, None, :, None], mask


def test_shape_and_mask():
    enc = make().eval()
    x, mask = inputs()
    y = enc(x, mask, task=2)
    assert y.shape == x.shape
    assert y[0][:, :, ~mask[0]].abs().sum() == 0
    assert y[1][:, :, ~mask[1]].abs().sum() == 0
    assert y[0][:, :, mask[0]].abs().sum() > 0


def test_gradients_reach_task_and_block_embeddings():
    enc = make().train()
    x, mask = inputs()
    enc(x, mask, task=1).square().mean().backward()
    task_grad = enc.task_embeddings.grad
    assert task_grad[1].abs().sum() > 0
    assert task_grad[[0, 2, 3]].abs().sum() == 0
    # Every layer's block embeddings learn, through the soft sample.
    assert (enc.block_embeddings.grad.abs().sum(-1) > 0).all()


def test_eval_routes_are_deterministic_argmax():
    enc = make().eval()
    x, mask = inputs()
    for task in range(4):
        assert torch.equal(enc(x, mask, task), enc(x, mask, task))
    routes = enc.get_routes()
    assert routes.shape == (4, 3)
    for task in range(4):
        expected = (enc.block_embeddings @ enc.task_embeddings[task]).argmax(-1)
        assert torch.equal(routes[task], expected)
        choice = enc.select_blocks(task)
        assert torch.equal(choice.argmax(-1), expected)
        assert torch.equal(choice.sum(-1), torch.ones(3))


def test_training_routes_are_sampled():
    enc = make().train()
    with torch.no_grad():  # equal scores: both blocks must get drawn
        enc.block_embeddings.zero_()
    picks = torch.stack([enc.select_blocks(0).argmax(-1) for _ in range(60)])
    assert set(picks.flatten().tolist()) == {0, 1}


def test_selected_block_is_the_one_used():
    enc = make().eval()
    x, mask = inputs()
    route = enc.get_routes()[0]
    expected = x.reshape(-1, *x.shape[2:])
    flat_mask = mask.repeat_interleave(x.shape[1], 0)
    from mmups.models.encoders.routed_encoder import sinusoidal_positions
    t, v, d = expected.shape[1:]
    expected = expected + sinusoidal_positions(t, v * d).view(1, t, v, d) * \
        flat_mask[:, None, :, None]
    for layer, h in zip(enc.layers, route):
        expected = layer[int(h)](expected, flat_mask)
    assert torch.allclose(enc(x, mask, 0), expected.reshape(x.shape),
                          atol=1e-5)


def test_unselected_blocks_and_ddp_modes():
    x, mask = inputs()
    skip = make(compute_unselected=False)
    full = make(compute_unselected=True)
    full.load_state_dict(skip.state_dict())
    skip.eval(), full.eval()
    assert torch.allclose(skip(x, mask, 3), full(x, mask, 3), atol=1e-6)
    # Training: with compute_unselected every parameter is in the graph
    # (DDP without find_unused_parameters); without, unselected blocks are
    # not (DDP needs find_unused_parameters=True).
    for enc, all_used in ((skip, False), (full, True)):
        enc.train()
        torch.manual_seed(1)
        enc(x, mask, 0).sum().backward()
        used = [p.grad is not None for p in enc.parameters()]
        assert all(used) == all_used


def test_single_block_and_bad_task():
    enc = make(num_blocks=1).train()
    x, mask = inputs()
    assert enc(x, mask, 0).shape == x.shape
    assert enc.get_routes().eq(0).all()
    with pytest.raises(ValueError, match='out of range'):
        enc(x, mask, 4)


@pytest.mark.parametrize('score_std', [1.0, 4.0])
def test_initial_score_spread(score_std):
    torch.manual_seed(0)
    enc = RoutedEncoder(embed_dims=4, num_layers=64, num_blocks=8,
                        num_tasks=4, task_dims=256, num_heads=2,
                        score_std=score_std)
    scores = torch.einsum('lhq,mq->mlh', enc.block_embeddings,
                          enc.task_embeddings)
    assert scores.std().item() == pytest.approx(score_std, rel=0.1)


def test_spread_scores_make_initial_routes_stable():
    """With score_std=4 a task's training route is nearly always its
    argmax route; with unit scores it often is not."""
    def agreement(score_std):
        enc = make(score_std=score_std).train()
        best = enc.route_scores(0).argmax(-1)
        draws = torch.stack([enc.select_blocks(0).argmax(-1)
                             for _ in range(200)])
        return (draws == best).float().mean().item()

    assert agreement(4.0) > 0.95 > agreement(1.0)


def test_soft_routing_mixes_all_blocks():
    enc = make(hard=False).train()
    assert enc.compute_unselected
    weights = enc.select_blocks(0)
    assert torch.allclose(weights.sum(-1), torch.ones(3))
    assert ((weights > 0) & (weights < 1)).all()
    x, mask = inputs()
    enc(x, mask, task=0).square().mean().backward()
    for layer in enc.layers:  # every block learns from every batch
        for block in layer:
            assert any(p.grad is not None and p.grad.abs().sum() > 0
                       for p in block.parameters())
    # Evaluation still picks one block per layer.
    assert torch.equal(enc.eval().select_blocks(0).sum(-1), torch.ones(3))


@pytest.mark.parametrize('compute_unselected', [False, True])
def test_forward_route_is_evaluation_along_the_route(compute_unselected):
    """Along a task's evaluation route, forward_route computes exactly what
    forward does in evaluation; another route computes something else."""
    enc = make(compute_unselected=compute_unselected).eval()
    x, mask = inputs()
    routes = enc.get_routes()
    with torch.no_grad():
        for task in range(enc.num_tasks):
            route = routes[task].tolist()
            assert torch.equal(enc.forward_route(x, mask, route),
                               enc(x, mask, task=task))
        other = [1 - h for h in routes[0].tolist()]
        assert not torch.allclose(enc.forward_route(x, mask, other),
                                  enc(x, mask, task=0))
    with pytest.raises(ValueError, match=r'route \[0, 2, 0\] must name one '
                       r'of 2 blocks in each of 3 layers'):
        enc.forward_route(x, mask, [0, 2, 0])
    with pytest.raises(ValueError, match='in each of 3 layers'):
        enc.forward_route(x, mask, [0, 1])


def score_grads(seed, **kwargs):
    """Output and gradients of one training step of task 1 under a fixed
    Gumbel draw."""
    enc = make(**kwargs).train()
    x, mask = inputs()
    torch.manual_seed(seed)
    out = enc(x, mask, task=1)
    out.square().mean().backward()
    grads = {name: p.grad for name, p in enc.named_parameters()}
    return out.detach(), grads, enc


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_full_straight_through_without_computing_unselected(seed):
    full_out, full, _ = score_grads(seed, compute_unselected=True)
    out, fst, enc = score_grads(seed, full_straight_through=True)
    skip_out, skip, _ = score_grads(seed)
    # The same forward pass in all three settings.
    assert torch.equal(out, full_out) and torch.equal(out, skip_out)
    # The scores' gradient is the full estimator's ...
    for name in ('block_embeddings', 'task_embeddings'):
        assert torch.allclose(fst[name], full[name], rtol=1e-5, atol=1e-9)
        # ... which the selected blocks' terms alone are not.
        assert not torch.allclose(skip[name], full[name], rtol=0.05)
    # Selected blocks learn as with every block computed; unselected ones
    # stay outside the graph (DDP: find_unused_parameters=True).
    torch.manual_seed(seed)
    route = enc.select_blocks(1).argmax(-1)
    for layer, blocks in enumerate(enc.layers):
        for h, block in enumerate(blocks):
            for name, _ in block.named_parameters():
                key = f'layers.{layer}.{h}.{name}'
                if h == route[layer]:
                    assert torch.allclose(fst[key], full[key], atol=1e-7)
                    assert torch.equal(fst[key], skip[key])
                else:
                    assert fst[key] is None and full[key].abs().max() == 0


def test_full_straight_through_runs_nothing_more_at_evaluation():
    enc = make(full_straight_through=True).eval()
    calls = []
    for blocks in enc.layers:
        for block in blocks:
            block.register_forward_hook(lambda *args: calls.append(1))
    x, mask = inputs()
    enc(x, mask, 0)
    assert len(calls) == 3  # one block per layer
    calls.clear()
    enc.train()(x, mask, 0)
    assert len(calls) == 6  # every block, the unselected without grad


def test_score_scale_sets_the_draw_probabilities():
    enc = make(score_std=2.0).train()
    scores = enc.route_scores(2)
    for scale in (1.0, 0.25, 0.0):
        enc.score_scale = scale
        probs = enc.route_probabilities()
        assert probs.shape == (4, 3, 2)
        assert torch.allclose(probs[2], (scale * scores).softmax(-1))
        torch.manual_seed(0)
        draws = torch.stack([enc.select_blocks(2) for _ in range(4000)])
        # Gumbel-max: the draw frequency is softmax(scale * s), whatever
        # the temperature.
        assert torch.allclose(draws.mean(0), probs[2], atol=0.03)
    enc.gumbel_tau = 0.3
    torch.manual_seed(0)
    draws = torch.stack([enc.select_blocks(2) for _ in range(4000)])
    assert torch.allclose(draws.mean(0), torch.full((3, 2), 0.5), atol=0.03)
    # Evaluation takes the argmax of the scores, whatever the scale.
    enc.eval().score_scale = 0.01
    assert torch.equal(enc.select_blocks(2).argmax(-1), scores.argmax(-1))


def test_options_add_no_checkpoint_entries():
    keys = set(make().state_dict())
    assert set(make(full_straight_through=True,
                    score_scale=0.5).state_dict()) == keys


def close(a, b):
    """Equal to float rounding, relative to the larger values (gradients
    of these random weights reach thousands)."""
    return bool((a - b).abs().max() <= 1e-5 * max(1., float(b.abs().max())))


@pytest.mark.parametrize('options', [
    dict(), dict(full_straight_through=True), dict(compute_unselected=True)])
def test_one_layout_batch_runs_on_its_filled_slots(options, monkeypatch):
    """With masked empty slots, a batch of one layout runs every block on
    its filled slots alone (SEM and TEM ``forward_filled``); outputs and
    gradients are those of the masked computation over all slots, which a
    batch of mixed layouts runs. forward_route does the same."""
    from mmups.skeleton import get_layout
    enc = make(mask_empty_slots=True, connect_layouts=True, **options)
    with torch.no_grad():  # graph offsets and refinement active
        for p in enc.parameters():
            p.add_(torch.randn(p.shape) * 0.2)
    slots = torch.as_tensor(get_layout('coco').canonical_index)
    mask = torch.zeros(3, V, dtype=torch.bool)
    mask[:, slots] = True
    x = torch.randn(3, 2, 5, V, 4) * mask[:, None, None, :, None]
    other = torch.zeros(1, V, dtype=torch.bool)
    other[0, :25] = True
    extra = torch.randn(1, 2, 5, V, 4) * other[:, None, None, :, None]
    compact = []
    block_cls = type(enc.layers[0][0])
    forward = block_cls.forward
    monkeypatch.setattr(block_cls, 'forward', lambda self, f, m, filled=None:
                        (compact.append(filled is not None),
                         forward(self, f, m, filled))[1])

    for train in (True, False):
        enc.train(train)
        torch.manual_seed(1)  # the same route draw for both
        a = x.clone().requires_grad_()
        fast = enc(a, mask, task=1)
        assert compact and all(compact)
        compact.clear()
        torch.manual_seed(1)
        b = x.clone().requires_grad_()
        slow = enc(torch.cat([b, extra]), torch.cat([mask, other]),
                   task=1)[:3]
        assert compact and not any(compact)
        compact.clear()
        assert close(fast, slow)
        assert fast[:, :, :, ~mask[0]].abs().sum() == 0
        (fast.square().sum()).backward()
        grads = {n: p.grad.clone() for n, p in enc.named_parameters()
                 if p.grad is not None}
        enc.zero_grad()
        slow.square().sum().backward()
        assert close(a.grad, b.grad)
        for n, p in enc.named_parameters():
            if n in grads:
                assert close(grads[n], p.grad), n
        enc.zero_grad()
    with torch.no_grad():
        route = enc.get_routes()[1].tolist()
        fast = enc.forward_route(x, mask, route)
        assert all(compact)
        slow = enc.forward_route(torch.cat([x, extra]),
                                 torch.cat([mask, other]), route)[:3]
        assert close(fast, slow)
