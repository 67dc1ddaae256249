# Kinetics-400 skeletons of MMAction2 (person detector + HRNet, COCO 17
# joints, layout 'coco'): 2D action recognition (task 'ar2d').
# Annotations: data/skeleton/k400_2d.pkl with the per-clip joints in
# data/skeleton/kpfiles (data/README.md, section "MMAction2's HRNet 2D
# skeletons (COCO, 17 joints)"), used as downloaded; DecompressPose expands
# the compressed joints.
#
# Label set: these annotations follow MMAction2's Kinetics-400 class list,
# which need not be in the order of the OpenPose release's list, so they get
# a label set of their own, 'kinetics400_mmaction' (file
# data/label_maps/kinetics400_mmaction.txt, see data/README.md, section
# "Label maps"). The base model does not list it: a config using this file
# adds it, e.g.
#   model = dict(vocabulary=dict(label_sets=dict(
#       kinetics400_mmaction='data/label_maps/kinetics400_mmaction.txt')))
#   label_set_sizes = dict(kinetics400_mmaction=400)
# Names defined here follow the scheme of every file in this folder,
# <setting>_<part>, unique across files so that an experiment config can
# merge several of them:
#   kinetics400_hrnet_coco17_2d          the task declaration (kind, layout, label set, datasets, metric)
#   kinetics400_hrnet_coco17_2d_train    dataset config of the training split
#   kinetics400_hrnet_coco17_2d_test     dataset config of the evaluation split (val = test)
#   kinetics400_hrnet_coco17_2d_metric   metric config(s) of the task, for MultiTaskMetric
# Use them as tasks = dict(ar2d={{_base_.kinetics400_hrnet_coco17_2d}}) in an experiment config.

kinetics400_hrnet_coco17_2d_ann_file = 'data/skeleton/k400_2d.pkl'
kinetics400_hrnet_coco17_2d_clip_len = 100
kinetics400_hrnet_coco17_2d_pack = dict(type='mmups.PackUPSInputs')
# The compressed joints expanded to at most 2 persons per frame (the paper
# setting; in a frame with more, those of the highest total score), pixels
# mapped to [-1, 1], and the joints without a score (empty person slots)
# put at the centre, 0, rather than at the corner (-1, -1).
kinetics400_hrnet_coco17_2d_decode = [
    dict(type='DecompressPose', squeeze=True, max_person=2),
    dict(type='PreNormalize2D'),
    dict(type='mmups.ZeroMissingJoints'),
]

kinetics400_hrnet_coco17_2d_train = dict(
    type='PoseDataset',
    _scope_='mmaction',
    ann_file=kinetics400_hrnet_coco17_2d_ann_file,
    split='train',
    data_prefix=dict(skeleton='data/skeleton/kpfiles'),
    pipeline=[
        *kinetics400_hrnet_coco17_2d_decode,
        dict(type='UniformSampleFrames',
             clip_len=kinetics400_hrnet_coco17_2d_clip_len),
        dict(type='PoseDecode'),
        kinetics400_hrnet_coco17_2d_pack,
    ])

kinetics400_hrnet_coco17_2d_test = dict(
    type='PoseDataset',
    _scope_='mmaction',
    ann_file=kinetics400_hrnet_coco17_2d_ann_file,
    split='val',
    data_prefix=dict(skeleton='data/skeleton/kpfiles'),
    test_mode=True,
    pipeline=[
        *kinetics400_hrnet_coco17_2d_decode,
        dict(type='UniformSampleFrames',
             clip_len=kinetics400_hrnet_coco17_2d_clip_len,
             num_clips=1,
             test_mode=True),
        dict(type='PoseDecode'),
        kinetics400_hrnet_coco17_2d_pack,
    ])
kinetics400_hrnet_coco17_2d_metric = dict(
    type='AccMetric',
    _scope_='mmaction',
    metric_list=('top_k_accuracy', 'mean_class_accuracy'),
    metric_options=dict(top_k_accuracy=dict(topk=(1, 5))))

# The task declaration (configs name it under a task of kind 'recognition',
# e.g. tasks = dict(ar2d={{_base_.kinetics400_hrnet_coco17_2d}})); its PackUPSInputs steps get
# their task, layout, label set and dataset name from it. batch_size: per GPU.
kinetics400_hrnet_coco17_2d = dict(
    kind='recognition',
    layout='coco',
    label_set='kinetics400_mmaction',
    dataset_name='kinetics400_hrnet_coco17',
    batch_size=32,
    train=kinetics400_hrnet_coco17_2d_train,
    val=kinetics400_hrnet_coco17_2d_test,
    metric=kinetics400_hrnet_coco17_2d_metric)
