# NTU RGB+D 60, xview benchmark: 3D action recognition (task 'ar3d').
# Annotations: data/ntu/ntu60_3d.pkl from tools/data/ntu_skeleton_to_pkl.py
# (data/README.md, section "NTU RGB+D"), splits xview_train / xview_val;
# Kinect 3D joints (layout 'nturgb+d'), labels of label set 'ntu60'.
# Names defined here follow the scheme of every file in this folder,
# <setting>_<part>, unique across files so that an experiment config can
# merge several of them:
#   ntu60_xview_3d_train    dataset config of the training split
#   ntu60_xview_3d_test     dataset config of the evaluation split (val = test)
#   ntu60_xview_3d_metric   metric config(s) of the task, for MultiTaskMetric
# Use them as {{_base_.ntu60_xview_3d_train}} in an experiment config.

ntu60_xview_3d_ann_file = 'data/ntu/ntu60_3d.pkl'
ntu60_xview_3d_clip_len = 100
ntu60_xview_3d_pack = dict(type='mmups.PackUPSInputs',
                           task='ar3d',
                           layout='nturgb+d',
                           label_set='ntu60',
                           dataset='ntu60_xview')

ntu60_xview_3d_train = dict(type='PoseDataset',
                            _scope_='mmaction',
                            ann_file=ntu60_xview_3d_ann_file,
                            split='xview_train',
                            pipeline=[
                                dict(type='PreNormalize3D'),
                                dict(type='UniformSampleFrames',
                                     clip_len=ntu60_xview_3d_clip_len),
                                dict(type='PoseDecode'),
                                ntu60_xview_3d_pack,
                            ])
ntu60_xview_3d_test = dict(type='PoseDataset',
                           _scope_='mmaction',
                           ann_file=ntu60_xview_3d_ann_file,
                           split='xview_val',
                           test_mode=True,
                           pipeline=[
                               dict(type='PreNormalize3D'),
                               dict(type='UniformSampleFrames',
                                    clip_len=ntu60_xview_3d_clip_len,
                                    num_clips=1,
                                    test_mode=True),
                               dict(type='PoseDecode'),
                               ntu60_xview_3d_pack,
                           ])
ntu60_xview_3d_metric = dict(
    type='AccMetric',
    _scope_='mmaction',
    metric_list=('top_k_accuracy', 'mean_class_accuracy'),
    metric_options=dict(top_k_accuracy=dict(topk=(1, 5))))
