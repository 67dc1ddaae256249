# Human3.6M, 3D pose estimation by 2D-to-3D lifting (task 'pe3d') with
# MMPose's Human36mDataset (mmups' lazy subclass); inputs: CPN 2D detections
# (keypoint_2d_src 'detection').
# Files under data/h36m/ written by tools/data/h36m_to_mmpose.py
# (data/README.md, section "Human3.6M"): annotation_body3d/fps50/
# h36m_{train,test}.npz, annotation_body3d/cameras.pkl,
# and joint_2d_det_files/cpn_ft_h36m_dbb_{train,test}.npy (converted with
# --det-2d data_2d_h36m_cpn_ft_h36m_dbb.npz).
# Target: the centre frame (causal=False) of the input window, 3D joints in
# the camera frame, root-relative (the codec subtracts the pelvis).
# Window length: h36m_cpn_pe3d_seq_len frames. 27 keeps CPU runs and memory small;
# 243 frames is the long-window setting of the lifting methods the paper
# compares with. The dataset dicts are built in this file, so change it in
# an experiment config through the datasets, e.g.
#   h36m_cpn_pe3d_train = dict(seq_len=243)  (and the same for h36m_cpn_pe3d_test)
# Names defined here follow the scheme of every file in this folder,
# <setting>_<part>, unique across files so that an experiment config can
# merge several of them:
#   h36m_cpn_pe3d          the task declaration (kind, layout, label set, datasets, metric)
#   h36m_cpn_pe3d_train    dataset config of the training split
#   h36m_cpn_pe3d_test     dataset config of the evaluation split (val = test)
#   h36m_cpn_pe3d_metric   metric config(s) of the task, for MultiTaskMetric
# Use them as tasks = dict(pe3d={{_base_.h36m_cpn_pe3d}}) in an experiment config.

h36m_cpn_pe3d_data_root = 'data/h36m/'
h36m_cpn_pe3d_seq_len = 27
h36m_cpn_pe3d_codec = dict(
    type='VideoPoseLifting',
    num_keypoints=17,
    zero_center=True,
    root_index=0,
    remove_root=False,
    reshape_keypoints=False)  # keep (T, V, 2) joints for the tokenizer
h36m_cpn_pe3d_pipeline = [
    dict(type='GenerateTarget', encoder=h36m_cpn_pe3d_codec),
    dict(type='mmups.PackUPSInputs'),
]
# Training adds MMPose's flip augmentation for lifting: the 2D window and
# the 3D target mirrored about the pelvis (the model's flip test undoes the
# same mirror at test time).
h36m_cpn_pe3d_train_pipeline = [
    dict(type='RandomFlipAroundRoot', keypoints_flip_cfg=dict(),
         target_flip_cfg=dict())
] + h36m_cpn_pe3d_pipeline

# The dataset: mmups' LazyHuman36mDataset, MMPose's Human36mDataset with the
# same arguments and samples, which keeps each frame once and builds a
# window's sample when it is read. MMPose's class stores every window's
# frames in its data list: measured at seq_len=27, 22.7 KB serialised per
# sample (about 35 GB for the 50 Hz training split and 12 GB for the test
# split, in every training process); the lazy one 30 bytes per sample (plus
# about 0.6 KB of arrays per frame). Built in MMPose's scope, so the
# pipeline's transforms are MMPose's.
h36m_cpn_pe3d_train = dict(
    type='mmups.LazyHuman36mDataset',
    _scope_='mmpose',
    data_root=h36m_cpn_pe3d_data_root,
    data_prefix=dict(img='images/'),
    ann_file='annotation_body3d/fps50/h36m_train.npz',
    camera_param_file='annotation_body3d/cameras.pkl',
    keypoint_2d_src='detection',
    keypoint_2d_det_file='joint_2d_det_files/cpn_ft_h36m_dbb_train.npy',
    seq_len=h36m_cpn_pe3d_seq_len,
    causal=False,
    pad_video_seq=True,
    test_mode=False,
    pipeline=h36m_cpn_pe3d_train_pipeline)

h36m_cpn_pe3d_test = dict(
    type='mmups.LazyHuman36mDataset',
    _scope_='mmpose',
    data_root=h36m_cpn_pe3d_data_root,
    data_prefix=dict(img='images/'),
    ann_file='annotation_body3d/fps50/h36m_test.npz',
    camera_param_file='annotation_body3d/cameras.pkl',
    keypoint_2d_src='detection',
    keypoint_2d_det_file='joint_2d_det_files/cpn_ft_h36m_dbb_test.npy',
    seq_len=h36m_cpn_pe3d_seq_len,
    causal=False,
    pad_video_seq=True,
    test_mode=True,
    pipeline=h36m_cpn_pe3d_pipeline)
h36m_cpn_pe3d_metric = [
    dict(type='MPJPEMetric', mode='mpjpe'),
    dict(type='MPJPEMetric', mode='p-mpjpe'),
    dict(type='MPJPEMetric', mode='n-mpjpe'),
]

# The task declaration (configs name it under a task of kind 'pose_lifting',
# e.g. tasks = dict(pe3d={{_base_.h36m_cpn_pe3d}})); its PackUPSInputs steps get
# their task, layout, label set and dataset name from it. batch_size: per GPU.
h36m_cpn_pe3d = dict(
    kind='pose_lifting',
    layout='h36m',
    dataset_name='h36m_cpn',
    batch_size=32,
    train=h36m_cpn_pe3d_train,
    val=h36m_cpn_pe3d_test,
    metric=h36m_cpn_pe3d_metric)
