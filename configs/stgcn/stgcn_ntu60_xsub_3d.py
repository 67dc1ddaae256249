# MMAction2's ST-GCN on the NTU RGB+D 60 cross-subject data converted by
# mmups (data/skeleton/ntu60_3d.pkl, see data/README.md, section "NTU RGB+D"):
# a single-task peer of UPS, trained with MMAction2's own model, pipeline
# and metric inside mmups' runner (default scope mmups).
#   python tools/train.py configs/stgcn/stgcn_ntu60_xsub_3d.py
_base_ = ['../_base_/default_runtime.py']

model = dict(
    type='RecognizerGCN', _scope_='mmaction',
    backbone=dict(type='STGCN',
                  graph_cfg=dict(layout='nturgb+d', mode='stgcn_spatial')),
    cls_head=dict(type='GCNHead', num_classes=60, in_channels=256))

ann_file = 'data/skeleton/ntu60_3d.pkl'
train_pipeline = [
    dict(type='PreNormalize3D'),
    dict(type='GenSkeFeat', dataset='nturgb+d', feats=['j']),
    dict(type='UniformSampleFrames', clip_len=100),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(type='PreNormalize3D'),
    dict(type='GenSkeFeat', dataset='nturgb+d', feats=['j']),
    dict(type='UniformSampleFrames', clip_len=100, num_clips=10,
         test_mode=True),
    dict(type='PoseDecode'),
    dict(type='FormatGCNInput', num_person=2),
    dict(type='PackActionInputs')
]
train_dataloader = dict(
    batch_size=16, num_workers=4, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='PoseDataset', _scope_='mmaction', ann_file=ann_file,
                 split='xsub_train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16, num_workers=4, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='PoseDataset', _scope_='mmaction', ann_file=ann_file,
                 split='xsub_val', test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='AccMetric', _scope_='mmaction')
test_evaluator = val_evaluator

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=80, val_begin=1,
                 val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9,
                                    weight_decay=5e-4, nesterov=True))
param_scheduler = [dict(type='CosineAnnealingLR', eta_min=0, T_max=80,
                        by_epoch=True, convert_to_iter_based=True)]
log_processor = dict(by_epoch=True)
default_hooks = dict(checkpoint=dict(by_epoch=True, interval=5))
auto_scale_lr = dict(enable=False, base_batch_size=128)
