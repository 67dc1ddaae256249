# UPS, the paper's joint setting (configs/ups/ups_all.py) with 3D early action
# prediction and 3D action recognition on NTU RGB+D 120, cross-setup (both NTU
# tasks on the same split).
#   bash tools/dist_train.sh configs/ups/ups_all_ntu120_xset.py 8
# Data: see data/README.md. Everything else (model, schedule, batch) is
# ups_all's.
_base_ = [
    './ups_all.py',
    '../_base_/datasets/ntu120_xset_eap3d.py',
    '../_base_/datasets/ntu120_xset_3d.py'
]

# The paper's four tasks in its rotation order; _delete_ replaces ups_all's
# declarations instead of merging into them (their keys differ).
tasks = dict(
    _delete_=True,
    pe3d={{_base_.h36m_cpn_pe3d}},
    ar2d={{_base_.kinetics400_openpose18_2d}},
    eap3d={{_base_.ntu120_xset_eap3d}},
    ar3d={{_base_.ntu120_xset_3d}})
