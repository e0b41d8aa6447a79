"""meco: metadata conditioning then cooldown (Gao et al., 2025) for language-model pre-training."""

__version__ = "0.1.0"
