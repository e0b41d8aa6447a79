"""A training step reads the device once: loss, gradient norm and target count together, before the update."""

import torch
from torch.overrides import TorchFunctionMode

from meco.trainer.config import TrainConfig
from meco.trainer.data import IGNORE, Batch
from meco.trainer.model import Transformer, preset
from meco.trainer.train import Run, Runtime, train_step

HOST_READS = {
    torch.Tensor.item,
    torch.Tensor.tolist,
    torch.Tensor.numpy,
    torch.Tensor.cpu,
    torch.Tensor.__float__,
    torch.Tensor.__int__,
    torch.Tensor.__bool__,
    torch.Tensor.__index__,
}


class CountHostReads(TorchFunctionMode):
    """Counts the tensor methods that wait for the device (a synchronisation on GPU)."""

    def __init__(self):
        super().__init__()
        self.reads = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func in HOST_READS:
            self.reads.append(func.__name__)
        return func(*args, **(kwargs or {}))


def test_a_step_of_several_micro_batches_reads_the_device_once():
    torch.manual_seed(0)
    model = Transformer(preset("debug", vocab_size=64), 16)
    cfg = TrainConfig(micro_batch=2, seq_len=16, batch_tokens=128)
    fused = torch.optim.AdamW(
        model.parameters(), lr=1e-3, fused=True
    )  # as on GPU: the for-loop AdamW reads each step count
    run = Run(cfg, cfg.plan(1), Runtime("cpu"), None, model, model, fused, None, None, {}, "ddp", None)
    g = torch.Generator().manual_seed(1)
    inputs = torch.randint(0, 64, (8, 16), generator=g)
    labels = torch.where(torch.rand(8, 16, generator=g) < 0.3, IGNORE, torch.randint(0, 64, (8, 16), generator=g))
    counter = CountHostReads()
    with counter:
        loss, norm, targets = train_step(run, Batch(inputs, labels, torch.zeros_like(inputs)))
    assert counter.reads == ["tolist"]
    assert loss > 0 and norm > 0 and targets == int((labels != IGNORE).sum())
