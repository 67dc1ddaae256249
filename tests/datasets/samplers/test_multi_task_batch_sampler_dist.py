"""MultiTaskBatchSampler in a real 2-process run (CPU, gloo, mmengine Runner).

Each rank trains a recording model under ``MMDistributedDataParallel`` for
two epochs and reports what it trained on. The ranks must train the same
task at every iteration, on disjoint samples, and exactly on the batches
that the sampler's documented schedule gives for their rank.
"""
import os
import uuid

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

WORLD_SIZE = 2
SEED = 7
EPOCHS = 2


def _worker(rank: int, port: int, work_dir: str, name: str, helpers,
            results) -> None:
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port),
                      RANK=str(rank), LOCAL_RANK=str(rank),
                      WORLD_SIZE=str(WORLD_SIZE))
    torch.set_num_threads(1)
    # The Runner keeps an existing process group (its own init_dist would
    # select a CUDA device).
    dist.init_process_group('gloo', rank=rank, world_size=WORLD_SIZE)
    try:
        from mmengine.runner import Runner
        runner = Runner(
            model=helpers.RecordingModel(),
            work_dir=work_dir,
            experiment_name=name,
            default_scope='mmups',
            launcher='pytorch',
            # The Runner reads the wrapper from its config; no device ids
            # for a CPU model.
            cfg=dict(model_wrapper_cfg=dict(type='MMDistributedDataParallel',
                                            device_ids=None)),
            train_dataloader=helpers.runner_dataloader(),
            train_cfg=dict(by_epoch=True, max_epochs=EPOCHS),
            optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
            default_hooks=dict(checkpoint=None),
            randomness=dict(seed=SEED),
            log_level='WARNING')
        runner.train()
        results[rank] = dict(
            seen=runner.model.module.seen,
            len=len(runner.train_dataloader),
            world_size=runner.train_dataloader.batch_sampler.world_size)
    finally:
        dist.destroy_process_group()


def test_two_ranks_share_tasks_and_split_samples(tmp_path, monkeypatch,
                                                 free_port):
    # The toy components (and their registration) come from the sibling
    # test module.
    monkeypatch.syspath_prepend(os.path.dirname(os.path.abspath(__file__)))
    import test_multi_task_batch_sampler as helpers

    from mmups.datasets.samplers import multi_task_batch_sampler as module
    with mp.Manager() as manager:
        results = manager.dict()
        # Forked workers inherit the imported modules: no seconds-long
        # re-import of torch, mmengine and mmups in each of them.
        mp.start_processes(
            _worker,
            args=(free_port, str(tmp_path), f'mtbs_dist_{uuid.uuid4().hex}',
                  helpers, results),
            nprocs=WORLD_SIZE, join=True, start_method='fork')
        results = dict(results)
    seen = [results[r]['seen'] for r in range(WORLD_SIZE)]
    assert results[0]['world_size'] == WORLD_SIZE
    epoch_len = results[0]['len']
    assert results[1]['len'] == epoch_len
    assert len(seen[0]) == len(seen[1]) == EPOCHS * epoch_len
    for i, (b0, b1) in enumerate(zip(*seen)):
        tasks = {t for t, _ in b0} | {t for t, _ in b1}
        assert len(tasks) == 1, f'iteration {i} mixes tasks {tasks}'

    # The longest task (ar3d: 4 samples, 1 per batch, 2 per rank) is done
    # once per epoch: the ranks split it exactly.
    for epoch in range(EPOCHS):
        part = [{j for b in s[epoch * epoch_len:(epoch + 1) * epoch_len]
                 for t, j in b if t == 'ar3d'} for s in seen]
        assert part[0].isdisjoint(part[1])
        assert part[0] | part[1] == set(range(helpers.RUNNER_SIZES['ar3d']))

    # Exactly the documented schedule of each rank.
    for rank in range(WORLD_SIZE):
        monkeypatch.setattr(module, 'get_dist_info',
                            lambda rank=rank: (rank, WORLD_SIZE))
        monkeypatch.setattr('mmengine.dataset.sampler.get_dist_info',
                            lambda rank=rank: (rank, WORLD_SIZE))
        assert seen[rank] == helpers.expected_batches(SEED, EPOCHS)
    assert max(len(b) for s in seen for b in s) == max(
        helpers.RUNNER_BATCH_SIZES.values())
