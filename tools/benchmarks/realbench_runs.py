"""The runs of the real-data comparison (``realbench.py`` beside this file):
the tasks, and per run its config, its row in the tables, its tasks and
how it is trained or tested.

A run's name, config, ``cfg_options`` and model name identify its results
(``--reuse`` reads finished runs back by name): change them only together
with the results they name.
"""
import os.path as osp
from typing import Dict, Optional

#: The repository (the run configs are relative to it).
ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))

#: The tasks of the comparison: name -> (what, dataset).
REALBENCH_TASKS = {
    'ar2d': '2D action recognition, Penn Action (15 classes, 13 joints)',
    'eap2d': '2D early action prediction, Penn Action',
    'pe3d': '3D pose estimation from 2D, Human3.6M mocap (4 real cameras)',
    'ar3d': '3D action recognition, Human3.6M mocap (15 actions)',
    'eap3d': '3D early action prediction, Human3.6M mocap',
}


def _separate(task: str) -> dict:
    return dict(config=f'configs/realbench/ups_realbench_separate_{task}.py',
                model='UPS_separate', tasks=[task])


def _finetune(task: str) -> dict:
    return dict(config=f'configs/realbench/ups_realbench_finetune_{task}.py',
                model='UPS, fine-tuned', tasks=[task], starts_from='ups',
                iters_fraction=FINETUNE_FRACTION)


#: Fine-tuning runs get this share of the per-task iterations.
FINETUNE_FRACTION = 0.2

#: ``--cfg-options`` that turn the pose-lifting changes of the realbench
#: UPS configs off, one group per ablation step (in the order they are
#: added back): the input moved to its root and the grammar-masked
#: training softmax; the ordinal coordinate targets and codes, the L1 term
#: and the hidden coordinate inputs (with their positional embeddings);
#: the expectation read-out (and the root at 0); the flip test.
PE_CHANGES = (
    ('root-relative input, masked softmax',
     ['model.root_relative_lifting=False',
      'model.train_cfg.masked_softmax=False']),
    ('ordinal targets and codes, L1, hidden coordinate inputs',
     ['model.train_cfg.coord_target.mode=hard',
      'model.train_cfg.coord_l1_weight=0.0',
      'model.train_cfg.coord_input_dropout=0.0',
      'model.vocabulary.ordinal_dims=0',
      'model.head.pos_embed_std=0.02']),
    ('expectation read-out, root at 0',
     ['model.test_cfg.coord_readout=argmax',
      'model.test_cfg.zero_root=False']),
    ('flip test', ['model.test_cfg.flip_test=False']),
)
#: Which of :data:`PE_CHANGES` act in training (the others only in
#: testing, so their rows test a checkpoint of another row).
PE_TRAINING_CHANGES = 2


#: ``--cfg-options`` that turn the encoder and routing changes of the UPS
#: configs off, one group per step of the action tasks' ablation (in the
#: order they are added back): the connected SEM graphs; the masking of
#: empty slots; routing that learns (the start token of its own, the full
#: straight-through estimator and the annealed score scale, whose hook is
#: the second of ``custom_hooks`` in configs/_base_/models/ups.py: a scale
#: held at 1 is the encoder before).
ENCODER_CHANGES = (
    ('connected SEM', ['model.encoder.connect_layouts=False']),
    ('masking', ['model.encoder.mask_empty_slots=False']),
    ('learnt routing',
     ['model.start_token=task_embedding',
      'model.encoder.full_straight_through=False',
      'custom_hooks.1.score_scale.start=1.0',
      'custom_hooks.1.score_scale.end=1.0']),
)


def _ablation(prefix: str, changes: tuple, ablation: str,
              training_changes: Optional[int] = None) -> Dict[str, dict]:
    """The runs of an ablation of the joint UPS over ``changes`` (groups of
    ``--cfg-options`` that turn one change off each): run ``prefix + i``
    has the first i groups (run 0, the baseline, none of them); the last
    row is the ``ups`` run itself. Where only the first
    ``training_changes`` groups act in training, the rows that differ from
    the ``ups`` run in test options alone test its checkpoint.

    Each spec's ``cfg_options`` go to its training and its test; a spec with
    ``tests_from`` only tests the last checkpoint of that run."""
    runs = {}
    n = len(changes)
    for i in range(n):
        off = [o for _, opts in changes[i:] for o in opts]
        row = 'baseline' if i == 0 else '+ ' + changes[i - 1][0]
        spec = dict(config='configs/realbench/ups_realbench_all.py',
                    model=f'UPS, {row}', tasks=list(REALBENCH_TASKS),
                    ablation=ablation, cfg_options=off)
        if training_changes is not None and i >= training_changes:
            # Trained as the shipped UPS: test its checkpoint.
            spec.update(tests_from='ups')
        runs[f'{prefix}{i}'] = spec
    return runs


#: Every run: its config, the row name in the tables, the tasks it does;
#: fine-tuning runs also name the run whose last checkpoint they start from
#: (``starts_from``) and their share of the per-task iterations.
RUNS: Dict[str, dict] = {
    'ups': dict(config='configs/realbench/ups_realbench_all.py',
                model='UPS', tasks=list(REALBENCH_TASKS)),
    **{f'ups_finetune_{t}': _finetune(t) for t in REALBENCH_TASKS},
    **{f'ups_separate_{t}': _separate(t) for t in REALBENCH_TASKS},
    'ups_h1': dict(config='configs/realbench/ups_realbench_h1.py',
                   model='UPS, H = 1', tasks=list(REALBENCH_TASKS)),
    'stgcn_penn_ar2d': dict(
        config='configs/realbench/stgcn_realbench_penn_ar2d.py',
        model='ST-GCN (MMAction2)', tasks=['ar2d']),
    'stgcn_h36m_ar3d': dict(
        config='configs/realbench/stgcn_realbench_h36m_ar3d.py',
        model='ST-GCN (MMAction2)', tasks=['ar3d']),
    'tcn_h36m_pe3d': dict(
        config='configs/realbench/tcn_realbench_h36m_pe3d.py',
        model='VideoPoseLift TCN (MMPose)', tasks=['pe3d']),
    'tcn_h36m_pe3d_noflip': dict(
        config='configs/realbench/tcn_realbench_h36m_pe3d.py',
        model='VideoPoseLift TCN (MMPose), no flip test', tasks=['pe3d'],
        ablation='pe3d', tests_from='tcn_h36m_pe3d',
        cfg_options=['model.test_cfg.flip_test=False']),
    # Both pose lifters train on batches of 64 windows; these rows train
    # each on 16, the batch of the action tasks (and of UPS' pose task
    # before it was raised to the TCN's).
    'tcn_h36m_pe3d_b16': dict(
        config='configs/realbench/tcn_realbench_h36m_pe3d.py',
        model='VideoPoseLift TCN (MMPose), batch 16', tasks=['pe3d'],
        ablation='pe3d', cfg_options=['train_dataloader.batch_size=16']),
    'ups_separate_pe3d_b16': dict(
        config='configs/realbench/ups_realbench_separate_pe3d.py',
        model='UPS_separate, batch 16', tasks=['pe3d'], ablation='pe3d',
        cfg_options=['tasks.pe3d.batch_size=16']),
    **_ablation('ups_pe_ablation_', PE_CHANGES, 'pe3d',
                PE_TRAINING_CHANGES),
    **_ablation('ups_encoder_ablation_', ENCODER_CHANGES, 'encoder'),
    # Beyond the paper: the joint UPS with future pose prediction as a
    # sixth task (its table: realbench_report.fp3d_table).
    'ups_fp3d': dict(config='configs/realbench/ups_realbench_all_fp3d.py',
                     model='UPS + fp3d (six tasks)',
                     tasks=[*REALBENCH_TASKS, 'fp3d'], ablation='fp3d'),
}
