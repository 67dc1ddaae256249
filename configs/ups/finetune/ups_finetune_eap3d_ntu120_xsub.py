# Fine-tuning of the jointly trained UPS of configs/ups/ups_all_ntu120_xsub.py
# on 3D early action prediction (NTU RGB+D 120, cross-subject); everything else
# is ups_finetune_eap3d.py's.
#   bash tools/dist_train.sh configs/ups/finetune/ups_finetune_eap3d_ntu120_xsub.py 8
_base_ = [
    './ups_finetune_eap3d.py',
    '../../_base_/datasets/ntu120_xsub_eap3d.py'
]

# _delete_: this declaration replaces the base's instead of merging into it.
tasks = dict(_delete_=True, eap3d={{_base_.ntu120_xsub_eap3d}})
joint_checkpoint = 'work_dirs/ups_all_ntu120_xsub/iter_60000.pth'
load_from = joint_checkpoint
