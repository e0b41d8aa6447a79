"""`python -m meco.trainer` (and `torchrun -m meco.trainer`) runs `meco train`."""

from .cli import train_command

train_command()
