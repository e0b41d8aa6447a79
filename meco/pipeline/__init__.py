"""`meco prepare`: a datatrove pipeline from web corpora to aligned conditioned/cooldown shards."""

from .prepare import PrepareConfig, build_executors, plan, prepare

__all__ = ["PrepareConfig", "build_executors", "plan", "prepare"]
