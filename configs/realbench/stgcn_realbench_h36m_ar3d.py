# MMAction2's ST-GCN on the Human3.6M mocap clips (realbench 'ar3d'): the
# peer of ups_realbench_separate_ar3d.py, on the same clips and splits.
#   python tools/train.py configs/realbench/stgcn_realbench_h36m_ar3d.py
_base_ = ['./_base_/stgcn_realbench.py']

# MMAction2's Graph knows the openpose, nturgb+d and coco layouts and takes
# any other as dict(num_node, inward, center). These are the edges of
# mmups' 'h36m' layout (mmups.skeleton.get_layout('h36m'), MMPose's joint
# order: 0 pelvis, 1-3 right leg, 4-6 left leg, 7 spine, 8 thorax, 9 neck,
# 10 head, 11-13 left arm, 14-16 right arm), (child, parent) towards the
# pelvis; the realbench config test checks that they agree.
h36m_graph = dict(
    num_node=17,
    inward=[(12, 11), (13, 12), (15, 14), (16, 15), (5, 4), (6, 5), (2, 1),
            (3, 2), (1, 0), (4, 0), (7, 0), (8, 7), (9, 8), (10, 9),
            (11, 8), (14, 8)],
    center=0)
# (x, y, z) per joint, metres.
model = dict(backbone=dict(in_channels=3, graph_cfg=dict(layout=h36m_graph)))

train_dataloader = dict(dataset={{_base_.h36m_ar3d_gcn_train}})
val_dataloader = dict(dataset={{_base_.h36m_ar3d_gcn_val}})
test_dataloader = val_dataloader
