# NTU RGB+D 120, xsub benchmark: 3D early action prediction (task 'eap3d').
# Annotations: data/skeleton/ntu120_3d.pkl: MMAction2's pre-built
# file as downloaded, or the output of tools/data/ntu_skeleton_to_pkl.py
# (data/README.md, section "NTU RGB+D"); splits xsub_train / xsub_val;
# Kinect 3D joints (layout 'nturgb+d'), labels of label set 'ntu120'.
# Names defined here follow the scheme of every file in this folder,
# <setting>_<part>, unique across files so that an experiment config can
# merge several of them:
#   ntu120_xsub_eap3d          the task declaration (kind, layout, label set, datasets, metric)
#   ntu120_xsub_eap3d_train    dataset config of the training split
#   ntu120_xsub_eap3d_test     dataset config of the evaluation split (val = test)
#   ntu120_xsub_eap3d_metric   metric config(s) of the task, for MultiTaskMetric
# Use them as tasks = dict(eap3d={{_base_.ntu120_xsub_eap3d}}) in an experiment config.
# Early prediction: in training each clip is cut to a random observation
# ratio (its first 10%, 20%, ..., 100%); the test set holds every clip once
# per ratio (ConcatDataset of one dataset per ratio), so that
# EarlyPredictionMetric reports accuracy per observation ratio.

ntu120_xsub_eap3d_ann_file = 'data/skeleton/ntu120_3d.pkl'
ntu120_xsub_eap3d_clip_len = 100
ntu120_xsub_eap3d_ratios = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
ntu120_xsub_eap3d_pack = dict(type='mmups.PackUPSInputs')

ntu120_xsub_eap3d_train = dict(type='PoseDataset',
                               _scope_='mmaction',
                               ann_file=ntu120_xsub_eap3d_ann_file,
                               split='xsub_train',
                               pipeline=[
                                   dict(type='PreNormalize3D'),
                                   dict(type='mmups.ObservationRatio',
                                        ratios=ntu120_xsub_eap3d_ratios),
                                   dict(type='UniformSampleFrames',
                                        clip_len=ntu120_xsub_eap3d_clip_len),
                                   dict(type='PoseDecode'),
                                   ntu120_xsub_eap3d_pack,
                               ])
ntu120_xsub_eap3d_test = dict(
    type='ConcatDataset',
    datasets=[
        dict(type='PoseDataset',
             _scope_='mmaction',
             ann_file=ntu120_xsub_eap3d_ann_file,
             split='xsub_val',
             test_mode=True,
             pipeline=[
                 dict(type='PreNormalize3D'),
                 dict(type='mmups.ObservationRatio', ratios=ratio),
                 dict(type='UniformSampleFrames',
                      clip_len=ntu120_xsub_eap3d_clip_len,
                      num_clips=1,
                      test_mode=True),
                 dict(type='PoseDecode'),
                 ntu120_xsub_eap3d_pack,
             ]) for ratio in ntu120_xsub_eap3d_ratios
    ])
ntu120_xsub_eap3d_metric = dict(type='EarlyPredictionMetric', topk=(1, 5))

# The task declaration (configs name it under a task of kind 'early_prediction',
# e.g. tasks = dict(eap3d={{_base_.ntu120_xsub_eap3d}})); its PackUPSInputs steps get
# their task, layout, label set and dataset name from it. batch_size: per GPU.
ntu120_xsub_eap3d = dict(
    kind='early_prediction',
    layout='nturgb+d',
    label_set='ntu120',
    dataset_name='ntu120_xsub',
    batch_size=32,
    train=ntu120_xsub_eap3d_train,
    val=ntu120_xsub_eap3d_test,
    metric=ntu120_xsub_eap3d_metric)
