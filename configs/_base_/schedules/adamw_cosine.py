# The paper's optimisation (section 4): AdamW, initial learning rate 1e-2,
# weight decay 5e-4, decayed to 0, total batch 1024 (8 GPUs). Training is
# iteration based because the multi-task sampler rotates tasks per
# iteration; set max_iters in the experiment config.
max_iters = 60000
train_cfg = dict(type='ResumableIterBasedTrainLoop', max_iters=max_iters,
                 val_interval=5000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-2, weight_decay=5e-4),
    clip_grad=dict(max_norm=1.0))

param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=1000),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=1000,
         end=max_iters, eta_min=0.0),
]

# lr 1e-2 is for a total batch of 1024 samples; --auto-scale-lr scales it
# linearly to the actual total (world size x the dataloader's batch size).
auto_scale_lr = dict(enable=False, base_batch_size=1024)
