"""`meco train`: the PyTorch trainer (conditioned, then cooldown). Reads shards through `meco.shards` only."""
