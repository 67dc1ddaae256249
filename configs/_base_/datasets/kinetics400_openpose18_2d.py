# Kinetics-400 skeletons of ST-GCN's release (OpenPose, 18 joints, layout
# 'openpose'): 2D action recognition (task 'ar2d'), label set 'kinetics400'
# (data/label_maps/kinetics400_openpose18.txt, the release's class list).
# Annotations: data/kinetics400/k400_openpose18_2d.pkl with each clip's
# joints in data/kinetics400/kpfiles_openpose18/<clip>.pkl, from
# tools/data/kinetics_skeleton_to_pkl.py --skeleton-dir (data/README.md,
# section "ST-GCN's Kinetics-skeleton (OpenPose, 18 joints)"), splits
# train / val, pixel coordinates with img_shape, which PreNormalize2D maps to
# [-1, 1]. One file per clip, read when the clip is: the joints of the whole
# release in the annotation pkl would hold about 31 GB in every training
# process (tools/analysis/dataset_memory.py).
# Names defined here follow the scheme of every file in this folder,
# <setting>_<part>, unique across files so that an experiment config can
# merge several of them:
#   kinetics400_openpose18_2d          the task declaration (kind, layout, label set, datasets, metric)
#   kinetics400_openpose18_2d_train    dataset config of the training split
#   kinetics400_openpose18_2d_test     dataset config of the evaluation split (val = test)
#   kinetics400_openpose18_2d_metric   metric config(s) of the task, for MultiTaskMetric
# Use them as tasks = dict(ar2d={{_base_.kinetics400_openpose18_2d}}) in an experiment config.

kinetics400_openpose18_2d_ann_file = 'data/kinetics400/k400_openpose18_2d.pkl'
kinetics400_openpose18_2d_skeleton_dir = 'data/kinetics400/kpfiles_openpose18'
kinetics400_openpose18_2d_clip_len = 100
kinetics400_openpose18_2d_pack = dict(type='mmups.PackUPSInputs')
# Pixels to [-1, 1]; then the joints OpenPose did not detect ((0, 0) px with
# score 0, which PreNormalize2D would turn into the corner (-1, -1)) go to
# the centre, 0. Persons: at most 2 per frame (the paper setting), the
# converter's --max-persons default, best mean score first; the pipeline
# does not cut further.
kinetics400_openpose18_2d_normalize = [
    dict(type='PreNormalize2D'),
    dict(type='mmups.ZeroMissingJoints'),
]

kinetics400_openpose18_2d_train = dict(
    type='PoseDataset',
    _scope_='mmaction',
    ann_file=kinetics400_openpose18_2d_ann_file,
    split='train',
    data_prefix=dict(skeleton=kinetics400_openpose18_2d_skeleton_dir),
    pipeline=[
        *kinetics400_openpose18_2d_normalize,
        dict(type='UniformSampleFrames',
             clip_len=kinetics400_openpose18_2d_clip_len),
        dict(type='PoseDecode'),
        kinetics400_openpose18_2d_pack,
    ])

kinetics400_openpose18_2d_test = dict(
    type='PoseDataset',
    _scope_='mmaction',
    ann_file=kinetics400_openpose18_2d_ann_file,
    split='val',
    data_prefix=dict(skeleton=kinetics400_openpose18_2d_skeleton_dir),
    test_mode=True,
    pipeline=[
        *kinetics400_openpose18_2d_normalize,
        dict(type='UniformSampleFrames',
             clip_len=kinetics400_openpose18_2d_clip_len,
             num_clips=1,
             test_mode=True),
        dict(type='PoseDecode'),
        kinetics400_openpose18_2d_pack,
    ])
kinetics400_openpose18_2d_metric = dict(
    type='AccMetric',
    _scope_='mmaction',
    metric_list=('top_k_accuracy', 'mean_class_accuracy'),
    metric_options=dict(top_k_accuracy=dict(topk=(1, 5))))

# The task declaration (configs name it under a task of kind 'recognition',
# e.g. tasks = dict(ar2d={{_base_.kinetics400_openpose18_2d}})); its PackUPSInputs steps get
# their task, layout, label set and dataset name from it. batch_size: per GPU.
kinetics400_openpose18_2d = dict(
    kind='recognition',
    layout='openpose',
    label_set='kinetics400',
    dataset_name='kinetics400_openpose18',
    batch_size=32,
    train=kinetics400_openpose18_2d_train,
    val=kinetics400_openpose18_2d_test,
    metric=kinetics400_openpose18_2d_metric)
