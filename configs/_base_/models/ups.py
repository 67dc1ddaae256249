# UPS at the paper's size (Foo et al., CVPR 2023, section 4).
#
# Fixed by the paper: L_enc = L_dec = 3, H = 2 parallel SEM-TEM blocks per
# encoder layer, q = 256 for task and block embeddings, RoBERTa-base text
# embeddings for the unified vocabulary, three TCN-GCN tokenizer layers.
#
# Left open by the paper, chosen here:
# * d = 32 channels per joint token. The TEM attends over frame-level tokens
#   of size V_c * d = 30 * 32 = 960 (V_c: the canonical joint set), which
#   keeps each TEM at ~7.4M parameters; d = 64 would quadruple that.
# * TEM: 8 heads (120 channels each), MLP hidden size 2 * 960 = 1920.
# * Tokenizer hidden width 64 (CTR-GCN's first stage width).
# * Decoder width 256, 8 heads, MLP 4 * 256 = 1024, dropout 0.1.
# * 256 bins per axis over [-1.2, 1.2] m of root-relative camera-frame
#   coordinates: bins of 9.4 mm, worst-case quantisation error 4.7 mm.
# * Target of pose estimation: the centre frame of the input window.
# * Normalisation in the tokenizer and SEM: GroupNorm with one group (per
#   sample, over channels, frames and joints) instead of CTR-GCN's
#   BatchNorm. Tasks rotate per batch and their inputs differ greatly (2D
#   pixels with a zero Z, 3D metres): BatchNorm's running statistics mix
#   them, and at evaluation the demo's 2D recognition collapsed to one
#   class. A per-position LayerNorm over channels avoided that but threw
#   away the coordinates' magnitude in the first layer (it failed the
#   overfitting test); GroupNorm(1) has neither problem. BN2d / SyncBN
#   remain available through norm_cfg.
#
# * Routing scores B . tau start with standard deviation 4 (score_std):
#   hard Gumbel-Softmax then draws each task's initial route with ~99%
#   probability, and routes change only as the embeddings learn. With unit
#   scores every batch took a random route, so each block saw about half of
#   its task's batches and the decoder eight different encoders: on the demo
#   the action tasks stayed near chance (25% top-1 after 300 iterations vs
#   77% with score_std=4, 92% without routing, H = 1).
#
# Only the selected encoder block runs per layer, so unselected blocks get
# no gradient: DDP needs find_unused_parameters=True (or set
# compute_unselected=True in the encoder and drop it, at 2x encoder cost).
model = dict(
    type='UPS',
    tasks=('pe3d', 'ar2d', 'eap3d', 'ar3d'),
    num_pose_frames=1,
    use_kv_cache=True,
    data_preprocessor=dict(type='UPSDataPreprocessor'),
    tokenizer=dict(
        type='JointTokenizer',
        in_channels=3,
        hidden_channels=64,
        embed_dims=32,
        num_layers=3,
        norm_cfg=dict(type='GN', num_groups=1)),
    encoder=dict(
        type='RoutedEncoder',
        embed_dims=32,
        num_layers=3,
        num_blocks=2,
        task_dims=256,
        num_heads=8,
        mlp_ratio=2.0,
        drop=0.1,
        gumbel_tau=1.0,
        score_std=4.0,
        compute_unselected=False,
        norm_cfg=dict(type='GN', num_groups=1)),
    vocabulary=dict(
        type='UnifiedVocabulary',
        # Class names, one per line in label order: see data/README.md,
        # section "Label maps".
        label_sets=dict(
            ntu60='data/label_maps/ntu60.txt',
            ntu120='data/label_maps/ntu120.txt',
            kinetics400='data/label_maps/kinetics400_openpose18.txt'),
        num_bins=256,
        coord_ranges=(-1.2, 1.2),
        text_model='roberta-base'),
    head=dict(
        type='SequenceHead',
        embed_dims=256,
        num_layers=3,
        num_heads=8,
        mlp_ratio=4.0,
        dropout=0.1,
        max_length=160))

model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)

# Number of classes of each label set, used to check label map files and
# (tools/misc/ups_random_batch.py --placeholder-labels) to stand in for
# missing ones.
label_set_sizes = dict(ntu60=60, ntu120=120, kinetics400=400)
