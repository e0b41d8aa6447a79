"""Model and loss: document masking, masked targets, normalisation over the global batch, the chunked loss,
cached decoding and position extension."""

import pytest
import torch
import torch.nn.functional as F

from meco.trainer.config import MODELS, TrainConfig
from meco.trainer.data import IGNORE, Batch
from meco.trainer.model import PRESETS, KVCache, Transformer, document_positions, preset
from meco.trainer.runtime import Runtime
from meco.trainer.train import Run, build_optimizer, train_step

VOCAB = 61


def model(doc_mask=False, seed=0):
    torch.manual_seed(seed)
    return Transformer(preset("debug", vocab_size=VOCAB, doc_mask=doc_mask), max_seq_len=32)


def test_presets_match_the_cli_choices():
    assert tuple(PRESETS) == MODELS
    assert preset("8b", vocab_size=128256).num_params() == 8_030_261_248  # Llama-3-8B
    assert preset("600m").n_layers == 24 and preset("1.6b").n_kv_heads == 8 and preset("3b").dim == 3072


def test_positions_restart_at_each_document():
    ids = torch.tensor([[0, 0, 0, 1, 1, 2, 2, 2, 2]])
    assert document_positions(ids).tolist() == [[0, 1, 2, 0, 1, 0, 1, 2, 3]]


def test_doc_mask_equals_running_each_document_alone():
    m = model(doc_mask=True)
    tokens = torch.randint(0, VOCAB, (2, 20), generator=torch.Generator().manual_seed(1))
    lengths = [[7, 9, 4], [20]]
    doc_ids = torch.tensor([[i for i, n in enumerate(row) for _ in range(n)] for row in lengths])
    packed = m(tokens, doc_ids)
    for b, row in enumerate(lengths):
        start = 0
        for n in row:
            alone = m(tokens[b : b + 1, start : start + n])
            torch.testing.assert_close(packed[b, start : start + n], alone[0], rtol=0, atol=1e-6)
            start += n
    # without the mask, later documents do see earlier ones
    assert not torch.allclose(m(tokens)[0, 7:16], m(tokens[:1, 7:16])[0], atol=1e-3)


def batch(n=8, T=16, seed=2, masked_rows=()):
    g = torch.Generator().manual_seed(seed)
    inputs = torch.randint(0, VOCAB, (n, T), generator=g)
    labels = torch.randint(0, VOCAB, (n, T), generator=g)
    labels[torch.rand(n, T, generator=g) < 0.3] = IGNORE  # prefix positions
    for r in masked_rows:
        labels[r] = IGNORE
    return Batch(inputs, labels, torch.zeros(n, T, dtype=torch.long))


def step(b: Batch, micro_batch: int, sgd: bool = False):
    """One train_step; with `sgd` the update is the clipped gradient itself, so weights compare gradients."""
    m = model()
    cfg = TrainConfig(micro_batch=micro_batch, lr=1e-2, seq_len=16)
    opt = torch.optim.SGD(m.parameters(), lr=1.0) if sgd else build_optimizer(m, cfg, torch.device("cpu"))
    run = Run(cfg, cfg.plan(1), Runtime("cpu"), None, m, m, opt, None, None, {}, "ddp", None)
    loss, norm, _ = train_step(run, b)
    return loss, norm, m


def test_loss_is_the_mean_over_target_tokens_only():
    b = batch()
    m = model()
    with torch.no_grad():
        logits = m(b.inputs)
    keep = b.labels != IGNORE
    expected = F.cross_entropy(logits[keep], b.labels[keep]).item()
    loss, _, _ = step(b, micro_batch=8)
    assert abs(loss - expected) < 1e-6
    # what the masked positions hold does not matter
    other = Batch(b.inputs, b.labels.clone(), b.doc_ids)
    assert step(other, 8)[0] == loss


def test_an_all_masked_sequence_gives_no_nan():
    loss, norm, m = step(batch(n=2, masked_rows=(0, 1)), micro_batch=1)
    assert loss == 0.0 and norm == 0.0
    assert all(torch.isfinite(p).all() for p in m.parameters())
    # a micro batch with no targets next to one with targets: the mean is over the targets that exist
    loss, _, _ = step(batch(n=4, masked_rows=(0, 1)), micro_batch=2)
    assert loss > 0 and torch.isfinite(torch.tensor(loss))


def test_accumulation_equals_one_big_batch():
    b = batch(n=8)
    big_loss, big_norm, big = step(b, micro_batch=8, sgd=True)
    acc_loss, acc_norm, acc = step(b, micro_batch=2, sgd=True)  # 4 micro batches of different target counts
    assert abs(big_loss - acc_loss) < 1e-6 and abs(big_norm - acc_norm) < 1e-6
    for p, q in zip(big.parameters(), acc.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=1e-6)


def test_mfu_counts_six_flops_per_parameter_plus_attention():
    from meco.trainer.metrics import mfu, peak_flops

    cfg = preset("debug", vocab_size=VOCAB)
    body = cfg.num_params(embeddings=False)
    assert cfg.flops_per_token(16) == 6 * (body + VOCAB * 32) + 12 * 2 * 32 * 16
    assert mfu(1e6, 2e3, 1e9, 2) == 1.0 and mfu(1e6, 2e3, None, 1) is None
    assert peak_flops(torch.device("cpu")) is None


def plain_loss(m, inputs, labels):
    """The reference: full fp32 logits, then one cross entropy over every token."""
    logits = m(inputs).float()
    return F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=IGNORE, reduction="sum")


def test_chunked_loss_equals_the_plain_loss_and_gradients():
    b = batch(n=3, T=13)  # 39 tokens in chunks of 8: four full chunks and a short one
    chunked, plain = model(), model()
    chunked.loss_chunk = 8
    loss = chunked(b.inputs, b.doc_ids, b.labels)
    expected = plain_loss(plain, b.inputs, b.labels)
    loss.backward()
    expected.backward()
    assert abs(loss.item() - expected.item()) <= 1e-6 * expected.item()
    for (name, p), q in zip(chunked.named_parameters(), plain.parameters(), strict=True):
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-6, atol=1e-7, msg=name)
    with torch.no_grad():  # evaluation: the same sum without checkpointing
        assert abs(chunked(b.inputs, b.doc_ids, b.labels).item() - expected.item()) <= 1e-6 * expected.item()


def saved_shapes(loss_fn) -> list[torch.Size]:
    """Shapes of every tensor autograd saves for backward while `loss_fn` runs; then runs backward."""
    shapes = []
    with torch.autograd.graph.saved_tensors_hooks(lambda t: shapes.append(t.shape) or t, lambda t: t):
        loss = loss_fn()
    loss.backward()
    return shapes


def test_chunked_loss_keeps_no_logits_for_backward():
    """Autograd holds no tensor of vocabulary width: backward recomputes each chunk's logits."""
    torch.manual_seed(0)
    m = Transformer(preset("debug", vocab_size=1000), max_seq_len=32)  # a vocabulary wider than any other dim
    m.loss_chunk = 16
    b = batch(n=4, T=16)
    assert not any(1000 in s for s in saved_shapes(lambda: m(b.inputs, labels=b.labels)))
    assert any(1000 in s for s in saved_shapes(lambda: plain_loss(m, b.inputs, b.labels)))  # the test can tell


def test_an_all_masked_batch_gives_zero_loss_and_zero_gradients():
    b = batch(n=2, T=16, masked_rows=(0, 1))
    m = model()
    m.loss_chunk = 5
    loss = m(b.inputs, b.doc_ids, b.labels)
    loss.backward()
    assert loss.item() == 0.0 and all((p.grad == 0).all() for p in m.parameters())


def test_doc_ids_matter_only_with_doc_mask():
    tokens = torch.randint(0, VOCAB, (2, 16), generator=torch.Generator().manual_seed(3))
    doc_ids = torch.tensor([[0] * 5 + [1] * 11, [0] * 9 + [1] * 7])
    plain, masked = model(), model(doc_mask=True)
    assert torch.equal(plain(tokens, doc_ids), plain(tokens))
    assert not torch.allclose(masked(tokens, doc_ids), masked(tokens), atol=1e-3)


def test_cached_forward_equals_full_recomputation():
    m = model(doc_mask=True)
    tokens = torch.randint(0, VOCAB, (2, 12), generator=torch.Generator().manual_seed(4))
    cache = KVCache(m, batch=2, max_len=12)
    with torch.no_grad():
        full = m(tokens)
        pieces = [m(tokens[:, a:b], cache=cache) for a, b in ((0, 5), (5, 6), (6, 7), (7, 12))]
    torch.testing.assert_close(torch.cat(pieces, dim=1), full, rtol=0, atol=1e-6)
    assert cache.length == 12
    with pytest.raises(ValueError, match="13 positions do not fit a cache of 12"):
        m(tokens[:, :1], cache=cache)
    with pytest.raises(ValueError, match="longer than the model's rotary tables"):
        KVCache(m, 1, 33)


def test_extend_positions_grows_the_rotary_tables():
    m = model()
    long = torch.randint(0, VOCAB, (1, 40), generator=torch.Generator().manual_seed(5))
    with pytest.raises(ValueError, match="sequence of length 40 is longer than the model's max_seq_len 32"):
        m(long)
    before = m(long[:, :32])
    m.extend_positions(40)
    m.extend_positions(36)  # never shrinks
    assert m.max_seq_len == 40
    torch.testing.assert_close(m(long)[:, :32], before, rtol=0, atol=0)
    wide = Transformer(preset("debug", vocab_size=VOCAB), max_seq_len=40)
    assert torch.equal(m.rope_cos, wide.rope_cos) and torch.equal(m.rope_sin, wide.rope_sin)
    assert "rope_cos" not in m.state_dict()  # computed, never saved
