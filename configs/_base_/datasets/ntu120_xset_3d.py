# NTU RGB+D 120, xset benchmark: 3D action recognition (task 'ar3d').
# Annotations: data/skeleton/ntu120_3d.pkl: MMAction2's pre-built
# file as downloaded, or the output of tools/data/ntu_skeleton_to_pkl.py
# (data/README.md, section "NTU RGB+D"); splits xset_train / xset_val;
# Kinect 3D joints (layout 'nturgb+d'), labels of label set 'ntu120'.
# Names defined here follow the scheme of every file in this folder,
# <setting>_<part>, unique across files so that an experiment config can
# merge several of them:
#   ntu120_xset_3d          the task declaration (kind, layout, label set, datasets, metric)
#   ntu120_xset_3d_train    dataset config of the training split
#   ntu120_xset_3d_test     dataset config of the evaluation split (val = test)
#   ntu120_xset_3d_metric   metric config(s) of the task, for MultiTaskMetric
# Use them as tasks = dict(ar3d={{_base_.ntu120_xset_3d}}) in an experiment config.

ntu120_xset_3d_ann_file = 'data/skeleton/ntu120_3d.pkl'
ntu120_xset_3d_clip_len = 100
ntu120_xset_3d_pack = dict(type='mmups.PackUPSInputs')

ntu120_xset_3d_train = dict(type='PoseDataset',
                            _scope_='mmaction',
                            ann_file=ntu120_xset_3d_ann_file,
                            split='xset_train',
                            pipeline=[
                                dict(type='PreNormalize3D'),
                                dict(type='UniformSampleFrames',
                                     clip_len=ntu120_xset_3d_clip_len),
                                dict(type='PoseDecode'),
                                ntu120_xset_3d_pack,
                            ])
ntu120_xset_3d_test = dict(type='PoseDataset',
                           _scope_='mmaction',
                           ann_file=ntu120_xset_3d_ann_file,
                           split='xset_val',
                           test_mode=True,
                           pipeline=[
                               dict(type='PreNormalize3D'),
                               dict(type='UniformSampleFrames',
                                    clip_len=ntu120_xset_3d_clip_len,
                                    num_clips=1,
                                    test_mode=True),
                               dict(type='PoseDecode'),
                               ntu120_xset_3d_pack,
                           ])
ntu120_xset_3d_metric = dict(
    type='AccMetric',
    _scope_='mmaction',
    metric_list=('top_k_accuracy', 'mean_class_accuracy'),
    metric_options=dict(top_k_accuracy=dict(topk=(1, 5))))

# The task declaration (configs name it under a task of kind 'recognition',
# e.g. tasks = dict(ar3d={{_base_.ntu120_xset_3d}})); its PackUPSInputs steps get
# their task, layout, label set and dataset name from it. batch_size: per GPU.
ntu120_xset_3d = dict(
    kind='recognition',
    layout='nturgb+d',
    label_set='ntu120',
    dataset_name='ntu120_xset',
    batch_size=32,
    train=ntu120_xset_3d_train,
    val=ntu120_xset_3d_test,
    metric=ntu120_xset_3d_metric)
