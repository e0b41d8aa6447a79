"""Attention kernels: grouped-query attention inside SDPA, the FlexAttention document mask against the dense
reference, and compiled blocks that do not recompile when the document layout changes."""

import pytest
import torch
import torch.nn.functional as F
from torch._dynamo.testing import CompileCounter
from torch.nn.attention.flex_attention import BlockMask

from meco.errors import OptionError
from meco.trainer.attention import apply_rope, rope_tables
from meco.trainer.model import Transformer, preset

VOCAB = 61
LAYOUTS = ([16], [7, 9], [3, 3, 10], [1] * 16, [5, 11])  # document lengths of every row of a (2, 16) batch

# eager FlexAttention on CPU warns that it is unfused: here it is the thing under test
pytestmark = pytest.mark.filterwarnings("ignore:flex_attention called without torch.compile")


def doc_ids(lengths, rows=2):
    return torch.tensor([[i for i, n in enumerate(lengths) for _ in range(n)]] * rows)


def pair(device="cpu"):
    """The same weights with the FlexAttention and the dense document mask."""
    torch.manual_seed(0)
    flex = Transformer(preset("debug", vocab_size=VOCAB, doc_mask=True), 32, attention="flex").to(device)
    dense = Transformer(preset("debug", vocab_size=VOCAB, doc_mask=True), 32, attention="dense").to(device)
    dense.load_state_dict(flex.state_dict())
    return flex, dense


def tokens(seed, device="cpu"):
    return torch.randint(0, VOCAB, (2, 16), generator=torch.Generator().manual_seed(seed)).to(device)


def test_grouped_query_attention_in_the_kernel_equals_repeated_heads():
    g = torch.Generator().manual_seed(0)
    q, k, v = (
        torch.randn(2, 4, 16, 8, generator=g),
        torch.randn(2, 2, 16, 8, generator=g),
        torch.randn(2, 2, 16, 8, generator=g),
    )
    k2, v2 = k.repeat_interleave(2, dim=1), v.repeat_interleave(2, dim=1)
    mask = torch.rand(2, 1, 16, 16, generator=g) < 0.7
    mask[..., 0] = True
    for kw in ({"is_causal": True}, {"attn_mask": mask}):
        gqa = F.scaled_dot_product_attention(q, k, v, enable_gqa=True, **kw)
        assert torch.equal(gqa, F.scaled_dot_product_attention(q, k2, v2, **kw))


def test_rope_rotates_channel_pairs():
    cos, sin = rope_tables(4, 3, 10_000.0)
    x = torch.arange(24, dtype=torch.float32).view(1, 2, 3, 4)
    angle = torch.outer(torch.arange(3.0), 1.0 / 10_000.0 ** torch.tensor([0.0, 0.5]))  # (position, pair)
    x1, x2 = x[..., 0::2], x[..., 1::2]
    expected = torch.stack((x1 * angle.cos() - x2 * angle.sin(), x1 * angle.sin() + x2 * angle.cos()), -1).flatten(-2)
    torch.testing.assert_close(apply_rope(x, cos, sin), expected, rtol=1e-6, atol=1e-6)


def test_flex_document_mask_equals_the_dense_reference():
    """Outputs on CPU, without autograd: PyTorch's FlexAttention has no CPU backward (gradients: the CUDA test)."""
    flex, dense = pair()
    for seed, lengths in enumerate(LAYOUTS):
        with torch.no_grad():
            torch.testing.assert_close(
                flex(tokens(seed), doc_ids(lengths)), dense(tokens(seed), doc_ids(lengths)), rtol=0, atol=1e-6
            )
    with pytest.raises(OptionError, match="attention 'sparse': choose from auto, flex, dense"):
        Transformer(preset("debug", vocab_size=VOCAB), 32, attention="sparse")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="FlexAttention's backward needs CUDA")
def test_flex_document_mask_gradients_equal_the_dense_reference_on_cuda():
    flex, dense = pair("cuda")
    for seed, lengths in enumerate(LAYOUTS[:3]):
        x, ids = tokens(seed, "cuda"), doc_ids(lengths).cuda()
        losses = [m(x, ids, labels=x) for m in (flex, dense)]
        for loss in losses:
            loss.backward()
        torch.testing.assert_close(losses[0], losses[1], rtol=1e-5, atol=0)
        for (name, p), q in zip(flex.named_parameters(), dense.parameters(), strict=True):
            torch.testing.assert_close(p.grad, q.grad, rtol=1e-4, atol=1e-6, msg=name)
            p.grad, q.grad = None, None


def test_auto_attention_is_dense_until_blocks_are_compiled_on_cuda():
    torch.manual_seed(0)
    m = Transformer(preset("debug", vocab_size=VOCAB, doc_mask=True), 32)
    x, ids = tokens(0), doc_ids([7, 9])
    assert m.positions_and_mask(x, ids, None)[2].shape == (2, 1, 16, 16)  # the dense bool mask
    m.compile_blocks(backend=CompileCounter())
    assert not isinstance(m.positions_and_mask(x, ids, None)[2], BlockMask)  # CPU: no FlexAttention backward


def compiled_counts(m, run) -> list[int]:
    """Frames compiled after each layout (every block and the mask builder count; a recompile adds one)."""
    torch._dynamo.reset()  # compiled code of earlier tests must not count, nor fill dynamo's cache
    counter = CompileCounter()
    m.compile_blocks(backend=counter)
    counts = []
    for seed, lengths in enumerate(LAYOUTS):
        run(m, tokens(seed), doc_ids(lengths))
        counts.append(counter.frame_count)
    return counts


def test_compiled_blocks_do_not_recompile_across_document_layouts():
    flex, dense = pair()

    def train(m, x, ids):
        m(x, ids, labels=x).backward()

    def infer(m, x, ids):
        with torch.no_grad():
            m(x, ids)

    assert compiled_counts(dense, train) == [1] * len(LAYOUTS)  # one graph for both layers and every layout
    assert compiled_counts(flex, infer) == [2] * len(LAYOUTS)  # the blocks and create_block_mask


@pytest.mark.slow
def test_inductor_compiled_flex_attention_equals_the_dense_reference():
    """The real compiler (C++ FlexAttention kernel on CPU): the same outputs, one compile for every layout."""
    from torch._dynamo.utils import counters

    torch._dynamo.reset()
    flex, dense = pair()
    flex.compile_blocks()
    graphs = []
    for seed, lengths in enumerate(LAYOUTS):
        with torch.no_grad():
            torch.testing.assert_close(
                flex(tokens(seed), doc_ids(lengths)), dense(tokens(seed), doc_ids(lengths)), rtol=0, atol=1e-5
            )
        graphs.append(counters["stats"]["unique_graphs"])
    assert graphs == [graphs[0]] * len(LAYOUTS)
