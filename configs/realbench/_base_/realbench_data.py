# Realbench data: the datasets of the five real-data tasks, for UPS and its
# peers. Files under the realbench root, made by
# mmups.datasets.converters.realbench.prepare_realbench_data (data/README.md,
# section "Realbench (Penn Action, Human3.6M mocap)"):
#   penn_action/penn_action_2d.pkl (+ label map)    'ar2d', 'eap2d'
#   h36m_mocap/annotation_body3d/...                'pe3d' (MMPose files)
#   h36m_actions/h36m_actions_3d.pkl (+ label map)  'ar3d', 'eap3d'
#
# The root and the split names are read when this file is parsed, from
# environment variables with defaults (mmengine's {{$NAME:default}}), so
# one config serves the full data, the quick data and other splits:
#   MMUPS_REALBENCH_ROOT=data/realbench_quick python tools/train.py CONFIG
#   MMUPS_REALBENCH_PENN_TRAIN_SPLIT=train MMUPS_REALBENCH_PENN_VAL_SPLIT=test
#   MMUPS_REALBENCH_H36M_TRAIN_SPLIT, MMUPS_REALBENCH_H36M_VAL_SPLIT
# (Penn Action's official test split needs the full release: the shared
# copy has only the official training clips, split into train_sub /
# val_sub.) The variables below are resolved into the datasets at parse
# time, so --cfg-options penn_val_split=test would not reach them, while
# --cfg-options on a task declaration's dataset does, e.g.
#   tasks.pe3d.val.indices=2000
#
# Names follow configs/_base_/datasets/: <setting> is a task declaration
# (penn_ar2d, h36m_eap3d, ...; all UPS tasks: ups_tasks), <setting>_<part>
# the datasets of the peers (h36m_pe3d_tcn_train, penn_ar2d_gcn_val, ...).

realbench_root = '{{$MMUPS_REALBENCH_ROOT:data/realbench}}'
eap_ratios = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
acc_metric = dict(type='AccMetric', _scope_='mmaction',
                  metric_list=('top_k_accuracy', 'mean_class_accuracy'),
                  metric_options=dict(top_k_accuracy=dict(topk=(1, 5))))
# Accuracy per observation ratio (the validation sets hold every clip once
# per ratio).
eap_metric = dict(type='EarlyPredictionMetric', topk=(1, 5))

# --------------------------------------------------- Penn Action (2D, 13 j)
penn_ann_file = realbench_root + '/penn_action/penn_action_2d.pkl'
penn_label_map = realbench_root + '/penn_action/penn_action_label_map.txt'
penn_train_split = '{{$MMUPS_REALBENCH_PENN_TRAIN_SPLIT:train_sub}}'
penn_val_split = '{{$MMUPS_REALBENCH_PENN_VAL_SPLIT:val_sub}}'
# Clips have 18 to 657 frames (mean 70); 32 sampled frames keep CPU runs
# cheap. The ST-GCN peer samples as many.
penn_clip_len = 32
# Pixels -> [-1, 1] by each clip's image size (the annotations' img_shape).
penn_normalize = dict(type='PreNormalize2D')

# ------------------------------------------- Human3.6M actions (3D, 17 j)
# 4 s clips at 25 Hz (100 frames, one every 2 s) of the world-frame joints
# (Z up, metres); labels: the 15 action names.
h36m_train_split = '{{$MMUPS_REALBENCH_H36M_TRAIN_SPLIT:train}}'
h36m_val_split = '{{$MMUPS_REALBENCH_H36M_VAL_SPLIT:val}}'
h36m_action_ann_file = realbench_root + '/h36m_actions/h36m_actions_3d.pkl'
h36m_action_label_map = (realbench_root +
                         '/h36m_actions/h36m_actions_label_map.txt')
h36m_clip_len = 32
# MMAction2's PreNormalize3D is written for NTU RGB+D. Its arguments name
# the joints of its two rotations only: zaxis (bottom, top) and xaxis
# (right, left shoulder), here Human3.6M's pelvis 0 -> thorax 8 and right
# 14 -> left shoulder 11. Its centre is fixed: joint 1 of 25-joint NTU data,
# else the last joint (here the right wrist) of the first frame; and
# align_center=False fails in MMAction2 1.2.0 (an unset body_center). So
# each clip is moved to its first frame's right wrist, which leaves the
# pelvis 0.2 - 0.9 m from the origin. Both rotations are off: the world
# frame is upright already (Z up); aligning the first frame's torso would
# tilt the floor of clips that start bent; and aligning the shoulders turns
# back-facing bodies upside down (a half turn about a near-horizontal axis:
# 38 of 289 sampled clips ended up tilted by more than 45 degrees). The
# heading stays as recorded.
h36m_normalize = dict(type='PreNormalize3D', zaxis=[0, 8], xaxis=[14, 11],
                      align_spine=False, align_shoulder=False)

# The protocol of the action tasks' clips (docs/tasks.md, "The action
# tasks' clips"): the defaults of the keywords of _clip_set and _ups_task
# below, so that a line here switches UPS and its ST-GCN peers alike. The
# values are the protocol the realbench is run with (before, False and 1:
# the tables of docs/benchmarks.md say which protocol each took).
# eap_fair_prefix: False: normalise each clip whole, cut it to its observed
# part, sample with MMAction2's UniformSampleFrames (which loops a part
# shorter than clip_len); True: cut the recorded clip first, normalise its
# observed frames only and stretch a short part over clip_len frames
# (mmups.UniformSampleFramesNoLoop), so that no frame after the cut reaches
# the sample.
eap_fair_prefix = True
# test_clips: clips sampled per validation clip (MMAction2's num_clips), and
# their class scores averaged: UPS' model.test_cfg.average_clips, ST-GCN's
# GCNHead average_clips, both 'prob' by default. 10, as MMAction2's
# skeleton configs test.
test_clips = 10

# What differs between the two action datasets.
_penn = dict(ann_file=penn_ann_file, normalize=penn_normalize,
             clip_len=penn_clip_len, layout='penn_action',
             label_set='penn_action', dataset='penn_action')
_h36m = dict(ann_file=h36m_action_ann_file, normalize=h36m_normalize,
             clip_len=h36m_clip_len, layout='h36m', label_set='h36m_actions',
             dataset='h36m_mocap')


def _clip_set(data, split, test_mode, tail, ratio=None,
              fair_prefix=eap_fair_prefix, num_clips=test_clips):
    """MMAction2's PoseDataset (built in its scope) of one split: normalise,
    sample ``clip_len`` frames (``num_clips`` clips in test mode, one in
    training), then ``tail`` packs the sample for the model. With ``ratio``
    (one observation ratio, or several to draw from) the clip is cut to its
    first part before the sampling: early prediction; ``fair_prefix``
    (see eap_fair_prefix) cuts it before the normalisation too and samples
    a part shorter than ``clip_len`` without looping."""
    normalize = [data['normalize']]
    sampler = 'UniformSampleFrames'
    if ratio is None:
        pipeline = normalize
    else:
        observe = [dict(type='mmups.ObservationRatio', ratios=ratio)]
        if fair_prefix:
            pipeline = observe + normalize
            sampler = 'mmups.UniformSampleFramesNoLoop'
        else:
            pipeline = normalize + observe
    sample = dict(type=sampler, clip_len=data['clip_len'])
    if test_mode:
        sample.update(num_clips=num_clips, test_mode=True)
    return dict(type='PoseDataset', _scope_='mmaction',
                ann_file=data['ann_file'], split=split, test_mode=test_mode,
                pipeline=pipeline + [sample, dict(type='PoseDecode')] + tail)


def _ups_task(data, kind, train_split, val_split, metric,
              fair_prefix=eap_fair_prefix, num_clips=test_clips):
    """The declaration of a UPS action task of ``kind`` on ``data``: its
    PackUPSInputs steps get the task, layout, label set and dataset name
    from it. Early prediction draws a random observation ratio per training
    clip and holds every validation clip once per ratio. ``fair_prefix``
    and ``num_clips``: as in :func:`_clip_set`."""
    tail = [dict(type='mmups.PackUPSInputs')]
    if kind == 'recognition':
        train = _clip_set(data, train_split, False, tail)
        val = _clip_set(data, val_split, True, tail, num_clips=num_clips)
    else:
        train = _clip_set(data, train_split, False, tail, eap_ratios,
                          fair_prefix=fair_prefix)
        val = dict(type='ConcatDataset', datasets=[
            _clip_set(data, val_split, True, tail, r,
                      fair_prefix=fair_prefix, num_clips=num_clips)
            for r in eap_ratios])
    return dict(kind=kind, layout=data['layout'],
                label_set=data['label_set'], dataset_name=data['dataset'],
                train=train, val=val, metric=metric)


penn_ar2d = _ups_task(_penn, 'recognition', penn_train_split,
                      penn_val_split, acc_metric)
penn_eap2d = _ups_task(_penn, 'early_prediction', penn_train_split,
                       penn_val_split, eap_metric)
h36m_ar3d = _ups_task(_h36m, 'recognition', h36m_train_split,
                      h36m_val_split, acc_metric)
h36m_eap3d = _ups_task(_h36m, 'early_prediction', h36m_train_split,
                       h36m_val_split, eap_metric)

# The same clips for MMAction2's ST-GCN: (M = 1, T, V, C) -> its input
# layout; 2D clips keep MMAction2's third channel, the keypoint score (here
# Penn Action's visibility flags), which UPS does not read.
_gcn_tail = [dict(type='FormatGCNInput', num_person=1),
             dict(type='PackActionInputs')]
penn_ar2d_gcn_train = _clip_set(_penn, penn_train_split, False, _gcn_tail)
penn_ar2d_gcn_val = _clip_set(_penn, penn_val_split, True, _gcn_tail)
h36m_ar3d_gcn_train = _clip_set(_h36m, h36m_train_split, False, _gcn_tail)
h36m_ar3d_gcn_val = _clip_set(_h36m, h36m_val_split, True, _gcn_tail)

# -------------------------------------------- Human3.6M pose (PE, 17 j)
# MMPose's Human36mDataset on the 10 Hz files (every 5th frame: MMPose keeps
# each window's frames per sample, so 50 Hz would need 5x the memory).
# Input: the 2D projections of a window of h36m_pe_seq_len frames in one
# camera; target: the centre frame's 3D joints in that camera's frame,
# root-relative (the codec subtracts the pelvis), metres. 9 frames at 10 Hz
# span 0.9 s, about what MMPose's 27-frame model sees at 50 Hz. UPS and the
# TCN peer read the same windows with the same augmentation.
h36m_pe_root = realbench_root + '/h36m_mocap/'
h36m_pe_seq_len = 9
h36m_pe_codec = dict(type='VideoPoseLifting', num_keypoints=17,
                     zero_center=True, root_index=0, remove_root=False)
# Mirror image around the pelvis (2D input and 3D target alike): MMPose's
# augmentation for lifting.
h36m_pe_flip = dict(type='RandomFlipAroundRoot', keypoints_flip_cfg=dict(),
                    target_flip_cfg=dict())


def _pe_sets(target, pack):
    """(train, val) Human36mDataset (MMPose's, built in its scope); each
    pipeline: [flip in training], ``target`` (GenerateTarget), ``pack``."""
    def pe_set(split, test_mode):
        flip = [] if test_mode else [h36m_pe_flip]
        return dict(type='Human36mDataset', _scope_='mmpose',
                    data_root=h36m_pe_root, data_prefix=dict(img='images/'),
                    ann_file=f'annotation_body3d/fps10/h36m_{split}.npz',
                    camera_param_file='annotation_body3d/cameras.pkl',
                    seq_len=h36m_pe_seq_len, causal=False,
                    pad_video_seq=True, test_mode=test_mode,
                    pipeline=flip + [target, pack])
    return pe_set(h36m_train_split, False), pe_set(h36m_val_split, True)


# UPS reads (T, V, 2) joints: its codec must not flatten them.
h36m_pe3d_train, h36m_pe3d_val = _pe_sets(
    dict(type='GenerateTarget',
         encoder=dict(h36m_pe_codec, reshape_keypoints=False)),
    dict(type='mmups.PackUPSInputs'))
# MMPose's TCN: flattened (2 * V, T) input, MMPose's data samples.
h36m_pe3d_tcn_train, h36m_pe3d_tcn_val = _pe_sets(
    dict(type='GenerateTarget', encoder=h36m_pe_codec),
    dict(type='PackPoseInputs',
         meta_keys=('id', 'category_id', 'target_img_path', 'flip_indices',
                    'target_root')))
# Errors in millimetres (mmups' MPJPEMetric scales MMPose's metres), for
# both.
h36m_pe3d_metric = [dict(type='MPJPEMetric', mode='mpjpe'),
                    dict(type='MPJPEMetric', mode='p-mpjpe'),
                    dict(type='MPJPEMetric', mode='n-mpjpe')]

# Future pose prediction (not a paper task; configs/realbench/
# ups_realbench_all_fp3d.py trains it with the five): the camera-frame 3D
# pose 5 frames (0.5 s at 10 Hz) after 9 observed frames of the same files,
# scored beside the zero-velocity baseline (repeat the last pose).
h36m_fp_horizon = 5


def _fp_set(split, test_mode):
    """Windows of observed + horizon consecutive frames (no padding: a
    padded future stands still)."""
    return dict(type='Human36mDataset', _scope_='mmpose',
                data_root=h36m_pe_root, data_prefix=dict(img='images/'),
                ann_file=f'annotation_body3d/fps10/h36m_{split}.npz',
                seq_len=h36m_pe_seq_len + h36m_fp_horizon, causal=True,
                pad_video_seq=False, test_mode=test_mode,
                pipeline=[dict(type='mmups.FuturePoseWindow',
                               horizon=h36m_fp_horizon),
                          dict(type='mmups.PackUPSInputs')])


h36m_fp3d = dict(
    kind='future_pose_prediction', layout='h36m', dataset_name='h36m_mocap',
    train=_fp_set(h36m_train_split, False),
    val=_fp_set(h36m_val_split, True),
    metric=[dict(type='MPJPEMetric', mode='mpjpe'),
            dict(type='MPJPEMetric', mode='mpjpe',
                 baseline='zero_velocity_pose', prefix='zero_velocity',
                 per_action=False)])

# ------------------------------------------------------------ UPS, by task
# The five UPS tasks, declared by name in the paper's rotation order (pose
# estimation first), for configs that train several tasks or pick one:
# tasks = {{_base_.ups_tasks}}, tasks = dict(ar2d={{_base_.ups_tasks.ar2d}}).
ups_tasks = dict(
    pe3d=dict(kind='pose_lifting', layout='h36m', dataset_name='h36m_mocap',
              train=h36m_pe3d_train, val=h36m_pe3d_val,
              metric=h36m_pe3d_metric),
    ar2d=penn_ar2d, eap2d=penn_eap2d, eap3d=h36m_eap3d, ar3d=h36m_ar3d)
