# MMAction2's ST-GCN on Penn Action (realbench 'ar2d'): the peer of
# ups_realbench_separate_ar2d.py, on the same clips and splits.
#   python tools/train.py configs/realbench/stgcn_realbench_penn_ar2d.py
_base_ = ['./_base_/stgcn_realbench.py']

# MMAction2's Graph knows the openpose, nturgb+d and coco layouts and takes
# any other as dict(num_node, inward, center). These are the edges of
# mmups' 'penn_action' layout (mmups.skeleton.get_layout('penn_action'):
# 0 head, 1/2 left/right shoulder, 3/4 elbows, 5/6 wrists, 7/8 hips,
# 9/10 knees, 11/12 ankles), (child, parent) towards the head; the realbench
# config test checks that they agree.
penn_action_graph = dict(
    num_node=13,
    inward=[(3, 1), (5, 3), (4, 2), (6, 4), (9, 7), (11, 9), (10, 8),
            (12, 10), (1, 0), (2, 0), (7, 1), (8, 2), (8, 7)],
    center=0)
# (x, y, visibility) per joint.
model = dict(backbone=dict(in_channels=3,
                           graph_cfg=dict(layout=penn_action_graph)))

train_dataloader = dict(dataset={{_base_.penn_ar2d_gcn_train}})
val_dataloader = dict(dataset={{_base_.penn_ar2d_gcn_val}})
test_dataloader = val_dataloader
