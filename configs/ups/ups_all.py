# UPS, the paper's setting (Foo et al., CVPR 2023): one model trained
# jointly on 3D pose estimation (Human3.6M, CPN detections), 2D action
# recognition (Kinetics-400 skeletons, OpenPose 18 joints), 3D early action
# prediction and 3D action recognition (NTU RGB+D 60, cross-subject),
# rotating over the tasks in the paper's order, one task per iteration.
#   bash tools/dist_train.sh configs/ups/ups_all.py 8
# Data: see data/README.md (sections "NTU RGB+D", "Kinetics-400 skeleton",
# "Human3.6M", "Label maps").
#
# Batch size: the paper's total batch of 1024 is read as the samples of one
# rotation (one batch of each of the 4 tasks) over 8 GPUs: 32 samples per
# task and GPU x 4 tasks x 8 GPUs = 1024. The dataloader's batch_size below
# (4 x 32 = 128 per GPU) is only what --auto-scale-lr reads: with 8 GPUs it
# equals auto_scale_lr.base_batch_size, so the paper's lr 1e-2 is kept.
_base_ = [
    '../_base_/models/ups.py', '../_base_/schedules/adamw_cosine.py',
    '../_base_/default_runtime.py',
    '../_base_/datasets/h36m_cpn_pe3d.py',
    '../_base_/datasets/kinetics400_openpose18_2d.py',
    '../_base_/datasets/ntu60_xsub_eap3d.py',
    '../_base_/datasets/ntu60_xsub_3d.py',
]

# The paper's tasks in its rotation, each declared once: the model's tasks,
# the loaders, the batch sampler (32 samples per task and GPU) and the
# metric follow (mmups.tasks.resolve_tasks).
tasks = dict(
    pe3d={{_base_.h36m_cpn_pe3d}},
    ar2d={{_base_.kinetics400_openpose18_2d}},
    eap3d={{_base_.ntu60_xsub_eap3d}},
    ar3d={{_base_.ntu60_xsub_3d}})

train_dataloader = dict(
    batch_size=128,  # per GPU and rotation, for auto_scale_lr only
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='MultiTaskBatchSampler'),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='MultiTaskDataset'))
val_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    batch_sampler=dict(type='MultiTaskBatchSampler',
                       rotations_per_epoch='once'),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='MultiTaskDataset'))
test_dataloader = val_dataloader
val_evaluator = dict(type='MultiTaskMetric')
test_evaluator = val_evaluator
