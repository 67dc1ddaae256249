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

tasks = ('pe3d', 'ar2d', 'eap3d', 'ar3d')  # the paper's rotation
model = dict(tasks=tasks)
batch_sizes = dict(pe3d=32, ar2d=32, eap3d=32, ar3d=32)  # per GPU

train_dataloader = dict(
    batch_size=128,  # per GPU and rotation, for auto_scale_lr only
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='MultiTaskBatchSampler', batch_sizes=batch_sizes,
                       task_order=tasks),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='MultiTaskDataset',
        datasets=dict(
            pe3d={{_base_.h36m_cpn_pe3d_train}},
            ar2d={{_base_.kinetics400_openpose18_2d_train}},
            eap3d={{_base_.ntu60_xsub_eap3d_train}},
            ar3d={{_base_.ntu60_xsub_3d_train}})))
val_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    batch_sampler=dict(type='MultiTaskBatchSampler', batch_sizes=batch_sizes,
                       task_order=tasks, rotations_per_epoch='once'),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='MultiTaskDataset',
        datasets=dict(
            pe3d={{_base_.h36m_cpn_pe3d_test}},
            ar2d={{_base_.kinetics400_openpose18_2d_test}},
            eap3d={{_base_.ntu60_xsub_eap3d_test}},
            ar3d={{_base_.ntu60_xsub_3d_test}})))
test_dataloader = val_dataloader

val_evaluator = dict(
    type='MultiTaskMetric',
    task_metrics=dict(
        pe3d={{_base_.h36m_cpn_pe3d_metric}},
        ar2d={{_base_.kinetics400_openpose18_2d_metric}},
        eap3d={{_base_.ntu60_xsub_eap3d_metric}},
        ar3d={{_base_.ntu60_xsub_3d_metric}}))
test_evaluator = val_evaluator
