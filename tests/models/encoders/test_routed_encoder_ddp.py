"""The routed encoder under DistributedDataParallel (2 CPU processes, gloo).

Only the selected block of each layer runs with autograd (the others, with
full_straight_through, forward only), so the other blocks' parameters get no
gradient in an iteration. This checks the supported settings and that the
unsupported ones fail, as the encoder's docstring says.
"""
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel

from mmups.skeleton import CANONICAL_JOINTS

V = len(CANONICAL_JOINTS)


def _train(compute_unselected: bool, find_unused: bool,
           full_straight_through: bool = False) -> str:
    """Three iterations of DDP training; returns 'ok' or the error text."""
    from mmups.models import RoutedEncoder
    torch.manual_seed(0)  # same initial weights on both ranks
    encoder = RoutedEncoder(embed_dims=4, num_layers=2, num_blocks=2,
                            num_tasks=2, task_dims=8, num_heads=2,
                            mlp_ratio=1.0, norm_cfg=dict(type='GN',
                                                         num_groups=1),
                            compute_unselected=compute_unselected,
                            full_straight_through=full_straight_through)
    model = DistributedDataParallel(encoder,
                                    find_unused_parameters=find_unused)
    optim = torch.optim.SGD(model.parameters(), lr=0.01)
    torch.manual_seed(1 + dist.get_rank())  # ranks draw their own routes
    mask = torch.ones(2, V, dtype=torch.bool)
    try:
        for it in range(3):
            x = torch.randn(2, 1, 3, V, 4)
            loss = model(x, mask, it % 2).square().mean()
            optim.zero_grad()
            loss.backward()
            optim.step()
    except RuntimeError as e:
        return f'error: {e}'
    # Replicas must still agree after the updates.
    flat = torch.cat([p.detach().flatten() for p in encoder.parameters()])
    other = flat.clone()
    dist.broadcast(other, src=0)
    return 'ok' if torch.allclose(flat, other) else 'replicas diverged'


def _worker(rank: int, port: int, results) -> None:
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group('gloo', rank=rank, world_size=2)
    try:
        for case in ((False, True), (True, False), (False, False),
                     (False, True, True), (False, False, True)):
            results[(rank, ) + case] = _train(*case)
    finally:
        dist.destroy_process_group()


def test_ddp_settings_for_unselected_blocks(free_port):
    with mp.Manager() as manager:
        results = manager.dict()
        mp.spawn(_worker, args=(free_port, results), nprocs=2, join=True)
        results = dict(results)
    for rank in (0, 1):
        # Skip unselected blocks + find_unused_parameters=True: works.
        assert results[(rank, False, True)] == 'ok'
        # Run every block (exact-zero weights): works without it.
        assert results[(rank, True, False)] == 'ok'
        # Skip unselected blocks without find_unused_parameters: DDP fails.
        assert results[(rank, False, False)].startswith('error')
        # Unselected blocks forward only: as skipping them, for DDP.
        assert results[(rank, False, True, True)] == 'ok'
        assert results[(rank, False, False, True)].startswith('error')
