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
