# Fine-tuning of the jointly trained UPS of configs/ups/ups_all_ntu120_xset.py
# on 3D action recognition (NTU RGB+D 120, cross-setup); everything else is
# ups_finetune_ar3d.py's.
#   bash tools/dist_train.sh configs/ups/finetune/ups_finetune_ar3d_ntu120_xset.py 8
_base_ = [
    './ups_finetune_ar3d.py',
    '../../_base_/datasets/ntu120_xset_3d.py'
]

# _delete_: this declaration replaces the base's instead of merging into it.
tasks = dict(_delete_=True, ar3d={{_base_.ntu120_xset_3d}})
joint_checkpoint = 'work_dirs/ups_all_ntu120_xset/iter_60000.pth'
load_from = joint_checkpoint
