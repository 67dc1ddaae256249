# UPS, the paper's joint setting (configs/ups/ups_all.py) with 2D action
# recognition on MMAction2's Kinetics-400 HRNet skeletons (COCO 17 joints, at
# most 2 persons) instead of the OpenPose-18 release.
#   bash tools/dist_train.sh configs/ups/ups_all_k400_hrnet.py 8
# Data: see data/README.md. Everything else (model, schedule, batch) is
# ups_all's.
_base_ = [
    './ups_all.py',
    '../_base_/datasets/kinetics400_hrnet_coco17_2d.py'
]

# The paper's four tasks in its rotation order; _delete_ replaces ups_all's
# declarations instead of merging into them (their keys differ).
tasks = dict(
    _delete_=True,
    pe3d={{_base_.h36m_cpn_pe3d}},
    ar2d={{_base_.kinetics400_hrnet_coco17_2d}},
    eap3d={{_base_.ntu60_xsub_eap3d}},
    ar3d={{_base_.ntu60_xsub_3d}})
# The label set of MMAction2's Kinetics-400 class list (data/README.md,
# section "Label maps").
model = dict(vocabulary=dict(label_sets=dict(
    kinetics400_mmaction='data/label_maps/kinetics400_mmaction.txt')))
label_set_sizes = dict(kinetics400_mmaction=400)
