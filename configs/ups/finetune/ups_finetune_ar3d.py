# Fine-tuning of the jointly trained UPS (configs/ups/ups_all.py) on one
# task: 3D action recognition on NTU RGB+D 60 (cross-subject).
# The paper trains all tasks jointly, then fine-tunes per task. The model
# keeps all four tasks of ups_all (model.tasks unchanged), so that the
# checkpoint, task embeddings included, loads as it is; only this task's
# data is used. Smaller learning rate (1e-3) and a short schedule.
#   bash tools/dist_train.sh configs/ups/finetune/ups_finetune_ar3d.py 8
# or another checkpoint: --cfg-options load_from=PATH
_base_ = ['../ups_separate_ar3d.py']

# All four tasks of ups_all, so that its checkpoint loads as it is.
model = dict(tasks=('pe3d', 'ar2d', 'eap3d', 'ar3d'))
joint_checkpoint = 'work_dirs/ups_all/iter_60000.pth'
load_from = joint_checkpoint

max_iters = 5000
train_cfg = dict(max_iters=max_iters, val_interval=1000)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
         end=200),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=200,
         end=max_iters, eta_min=0.0),
]
