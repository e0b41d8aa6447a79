"""`meco generate`, `meco eval` and `meco export-model`. Imports no torch, so `meco --help` stays fast."""

from __future__ import annotations

import json

import click

from ..errors import reported

CKPT_HELP = "CKPT: a training output folder (its newest checkpoint) or one checkpoints/step-XXXXXXX folder."
data_option = click.option(
    "--data",
    type=click.Path(file_okay=False),
    help="Prepared folder for the manifest (tokenizer, template). [default: the run's]",
)
metadata_option = click.option(
    "--metadata",
    "-m",
    multiple=True,
    help="Metadata VALUE, or kind=VALUE, filling the manifest's template (repeatable).",
)
device_option = click.option(
    "--device",
    default="auto",
    show_default=True,
    help="Where the model runs: auto (cuda when available, else cpu) or a torch device (cpu, cuda, cuda:1).",
)


def _load(ckpt, data, **kw):
    from .loading import load

    return load(ckpt, data, **kw)


@click.command("generate", epilog=CKPT_HELP)
@click.argument("ckpt", type=click.Path())
@click.option("--prompt", default="", help="Text the continuation follows (after the metadata prefix).")
@metadata_option
@data_option
@click.option("--max-new-tokens", type=int, default=100, show_default=True)
@click.option("--temperature", type=float, default=1.0, show_default=True, help="0: greedy.")
@click.option("--top-k", type=int, default=0, show_default=True, help="Sample among the k likeliest tokens (0: all).")
@click.option("--top-p", type=float, default=1.0, show_default=True, help="Nucleus sampling mass.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--guidance",
    type=float,
    help="Context-guided sampling: weigh the --metadata prefix g times against the prompt alone "
    "(1: plain conditional sampling; above 1 steers harder).",
)
@device_option
@reported
def generate_command(ckpt, prompt, metadata, data, max_new_tokens, temperature, top_k, top_p, seed, guidance, device):
    """Continue PROMPT after a metadata prefix rendered as in training; stops at EOS."""
    from .decoding import Sampling
    from .generation import complete

    if temperature < 0 or not 0 < top_p <= 1 or top_k < 0 or max_new_tokens < 1:
        raise click.BadParameter("need --temperature >= 0, 0 < --top-p <= 1, --top-k >= 0, --max-new-tokens >= 1")
    loaded = _load(ckpt, data, device=device)  # --device checked first
    done = complete(loaded, prompt, list(metadata), Sampling(temperature, top_k, top_p), max_new_tokens, seed, guidance)
    prefix, prompt_text, continuation = done.texts(loaded.tokenizer)
    click.echo(click.style(prefix, dim=True) + prompt_text + continuation)


@click.command("eval", epilog=CKPT_HELP)
@click.argument("ckpt", type=click.Path())
@data_option
@metadata_option
@click.option("--split", type=click.Choice(["val", "train"]), default="val", show_default=True)
@click.option(
    "--max-docs",
    type=click.IntRange(min=0),
    default=1000,
    show_default=True,
    help="First documents of the split (0: all).",
)
@click.option(
    "--top", type=click.IntRange(min=0), default=10, show_default=True, help="Metadata values listed (0: all)."
)
@click.option(
    "--context",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Tokens per sequence; longer documents are cut (0: the training seq_len).",
)
@click.option(
    "--probe",
    type=click.Path(dir_okay=False),
    help="Score the candidates of each JSON line (prompt, candidates, answer, optional metadata) instead.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@device_option
@reported
def eval_command(ckpt, data, metadata, split, max_docs, top, context, probe, as_json, device):
    """Held-out loss on document tokens: unconditional, with the true metadata, and with --metadata.
    With --probe: the log-probability of given continuations of prompts, and how often the true one wins."""
    from .loading import resolve_device

    device = resolve_device(device)  # before the probe file is read
    if probe is not None:
        from .probing import format_probe_report, read_probes, score_probes

        source = click.get_current_context().get_parameter_source
        for name in ("split", "max_docs", "top", "context"):
            if source(name) != click.core.ParameterSource.DEFAULT:
                raise click.UsageError(f"--{name.replace('_', '-')} does not apply to --probe")
        probes = read_probes(probe)
        report = score_probes(_load(ckpt, data, device=device), probes, list(metadata), probe)
        click.echo(json.dumps(report, indent=2, ensure_ascii=False) if as_json else format_probe_report(report))
        return
    from .evaluation import evaluate, format_report

    report = evaluate(_load(ckpt, data, device=device), split, list(metadata), max_docs, top, context)
    click.echo(json.dumps(report, indent=2, ensure_ascii=False) if as_json else format_report(report))


@click.command("export-model", epilog=CKPT_HELP)
@click.argument("ckpt", type=click.Path())
@click.argument("out", type=click.Path())
@data_option
@reported
def export_model_command(ckpt, out, data):
    """Write a Hugging Face Llama checkpoint (config, safetensors, tokenizer) into the new folder OUT."""
    from .hf_export import export_model

    path = export_model(_load(ckpt, data), out)
    click.echo(
        f"exported {path}: LlamaForCausalLM.from_pretrained({str(path)!r}); "
        f"lm_eval --model hf --model_args pretrained={path} --tasks ..."
    )
