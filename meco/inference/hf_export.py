"""`meco export-model`: a Hugging Face `transformers` Llama checkpoint with meco's weights and tokenizer.

meco's RoPE rotates interleaved channel pairs (x[2i], x[2i+1]); HF Llama rotates split halves
(x[i], x[i + hd/2]). Reordering each head's q and k output rows as [0, 2, 4, ..., 1, 3, 5, ...] (the
permutation of Meta's Llama -> HF conversion) makes the two compute the same attention scores; v, the
output projection and everything else map one to one. Written with safetensors alone: exporting needs no
transformers (the tests load the result with it).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch

from ..output import empty_output
from .loading import Loaded

NAMES = {  # meco name -> HF name, per layer
    "attn.wq.weight": "self_attn.q_proj.weight",
    "attn.wk.weight": "self_attn.k_proj.weight",
    "attn.wv.weight": "self_attn.v_proj.weight",
    "attn.wo.weight": "self_attn.o_proj.weight",
    "mlp.w1.weight": "mlp.gate_proj.weight",
    "mlp.w3.weight": "mlp.up_proj.weight",
    "mlp.w2.weight": "mlp.down_proj.weight",
    "attn_norm.weight": "input_layernorm.weight",
    "mlp_norm.weight": "post_attention_layernorm.weight",
}


def interleaved_to_halves(w: torch.Tensor, n_heads: int) -> torch.Tensor:
    """(n_heads * hd, dim) projection rows reordered per head from pair-interleaved to split-half RoPE."""
    hd = w.shape[0] // n_heads
    return w.view(n_heads, hd // 2, 2, -1).transpose(1, 2).reshape(w.shape)


def hf_state_dict(loaded: Loaded) -> dict[str, torch.Tensor]:
    cfg, out = loaded.config, {}
    for name, t in loaded.model.state_dict().items():
        if name.startswith("layers."):
            _, i, rest = name.split(".", 2)
            if rest in ("attn.wq.weight", "attn.wk.weight"):
                t = interleaved_to_halves(t, cfg.n_heads if rest == "attn.wq.weight" else cfg.n_kv_heads)
            out[f"model.layers.{i}.{NAMES[rest]}"] = t
        else:
            out[
                {
                    "embed.weight": "model.embed_tokens.weight",
                    "norm.weight": "model.norm.weight",
                    "output.weight": "lm_head.weight",
                }[name]
            ] = t
    return {k: v.detach().contiguous() for k, v in out.items()}


def hf_config(loaded: Loaded) -> dict:
    cfg, m = loaded.config, loaded.manifest
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": cfg.vocab_size,
        "hidden_size": cfg.dim,
        "intermediate_size": cfg.ffn_dim,
        "num_hidden_layers": cfg.n_layers,
        "num_attention_heads": cfg.n_heads,
        "num_key_value_heads": cfg.n_kv_heads,
        "head_dim": cfg.head_dim,
        "hidden_act": "silu",
        "rms_norm_eps": cfg.norm_eps,
        "rope_theta": cfg.rope_theta,
        "rope_parameters": {"rope_type": "default", "rope_theta": cfg.rope_theta},
        "max_position_embeddings": loaded.seq_len,
        "tie_word_embeddings": False,
        "attention_bias": False,
        "mlp_bias": False,
        "bos_token_id": m.bos_id,
        "eos_token_id": m.eos_id,
        "torch_dtype": "float32",
    }


def write_tokenizer(loaded: Loaded, out: Path) -> None:
    """tokenizer.json (converted from tiktoken, or the original file) and tokenizer_config.json with BOS/EOS."""
    tok = loaded.tokenizer
    if tok.kind == "huggingface" and Path(tok.name).is_file():
        shutil.copyfile(tok.name, out / "tokenizer.json")  # the very file the data was prepared with
    else:
        tok.huggingface().save(str(out / "tokenizer.json"))
    decode = lambda i: None if i is None else tok.decode([i])  # noqa: E731
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": decode(tok.bos_id),
        "eos_token": decode(tok.eos_id),
        "model_max_length": loaded.seq_len,
        "clean_up_tokenization_spaces": False,
        "split_special_tokens": True,
    }  # special-token text in a document stays text, as in meco
    (out / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")


def export_model(loaded: Loaded, out: str | Path) -> Path:
    """Write config.json, model.safetensors and the tokenizer files into the new or empty folder OUT."""
    from safetensors.torch import save_file

    out = empty_output(out)
    save_file(hf_state_dict(loaded), str(out / "model.safetensors"), metadata={"format": "pt"})
    (out / "config.json").write_text(json.dumps(hf_config(loaded), indent=2) + "\n")
    (out / "generation_config.json").write_text(
        json.dumps({"bos_token_id": loaded.manifest.bos_id, "eos_token_id": loaded.manifest.eos_id}, indent=2) + "\n"
    )
    write_tokenizer(loaded, out)
    return out
