"""Reading a model's shape from a Hugging Face ``config.json`` on disk (never from the network).

Supported: the Llama family of layouts (``llama``, ``mistral``, ``mixtral``, ``qwen2``,
``qwen2_moe``, ``qwen3``, ``qwen3_moe``, ``phi3``, ``gemma``, ``gemma2``), ``gpt2`` and
``gpt_neox`` (Pythia). What peer calculators miscount is counted exactly: SwiGLU's (and GeGLU's)
three matrices, grouped-query attention (``num_key_value_heads``), a head_dim apart from
d_model / heads (Gemma), untied embeddings (``tie_word_embeddings``, whose default is the model
class's: tied for Gemma), Qwen2's q/k/v biases and Qwen3's q/k norms, Gemma 2's four norms per
layer and its sliding window on every other layer, and mixtures of experts (total and active
parameters, routers, Qwen2-MoE's shared expert). Other layouts, and multimodal wrappers (their
language model sits under ``text_config``), are refused by name rather than miscounted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..core.configs import validate
from ..core.errors import ScaleError
from .shape import Shape

LLAMA_LIKE = {"llama", "mistral", "mixtral", "qwen2", "qwen2_moe", "qwen3", "qwen3_moe", "phi3", "gemma", "gemma2"}
SUPPORTED = sorted(LLAMA_LIKE | {"gpt2", "gpt_neox"})
TIED_BY_DEFAULT = {"gemma", "gemma2"}
"""Model classes whose tie_word_embeddings defaults to true (GemmaConfig, Gemma2Config)."""


def _first(config: dict[str, Any], *keys: str, default: Any = None) -> Any:
    for key in keys:
        if config.get(key) is not None:
            return config[key]
    return default


def _check_types(config: dict[str, Any], path: Path) -> None:
    """Config values of the wrong JSON type are errors naming the file's own key, never coerced:
    true is not 1 layer, "8" experts is not 8, "false" is not a boolean."""
    for key, value in config.items():
        if key in INT_KEYS and value is not None:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ScaleError(f"{path}: {key}: expected a whole number, got {json.dumps(value)[:60]}")
            if value < (0 if key in {"shared_expert_intermediate_size"} else 1):
                raise ScaleError(f"{path}: {key}: expected a whole number >= 1, got {value}")
        if key in BOOL_KEYS and value is not None and not isinstance(value, bool):
            raise ScaleError(f"{path}: {key}: expected true or false, got {json.dumps(value)[:60]}")
    layers = config.get("mlp_only_layers")
    if layers is not None and not (isinstance(layers, list) and all(isinstance(i, int) and not isinstance(i, bool) for i in layers)):
        raise ScaleError(f"{path}: mlp_only_layers: expected a list of layer numbers, got {json.dumps(layers)[:60]}")


INT_KEYS = {
    "num_hidden_layers",
    "hidden_size",
    "num_attention_heads",
    "num_key_value_heads",
    "head_dim",
    "intermediate_size",
    "vocab_size",
    "num_local_experts",
    "num_experts",
    "num_experts_per_tok",
    "moe_intermediate_size",
    "shared_expert_intermediate_size",
    "n_layer",
    "n_embd",
    "n_head",
    "n_inner",
    "n_positions",
    "n_ctx",
    "max_position_embeddings",
    "sliding_window",
}
BOOL_KEYS = {"tie_word_embeddings", "attention_bias", "mlp_bias", "use_sliding_window"}


def hub_cache() -> Path:
    """Where Hugging Face keeps downloaded models: $HF_HUB_CACHE, $HF_HOME/hub, or ~/.cache/huggingface/hub."""
    import os

    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    home = os.environ.get("HF_HOME") or os.path.join(os.path.expanduser("~"), ".cache", "huggingface")
    return Path(home) / "hub"


def from_hub_cache(name: str) -> Path:
    """``org/model``'s config.json in the local Hugging Face cache (never the network): the snapshot
    ``refs/main`` points at, else the newest; not cached is an error saying where to put one."""
    folder = hub_cache() / f"models--{name.replace('/', '--')}"
    ref = folder / "refs" / "main"
    snapshots = folder / "snapshots"
    candidates = []
    if ref.is_file():
        candidates.append(snapshots / ref.read_text().strip() / "config.json")
    if snapshots.is_dir():
        candidates += sorted(snapshots.glob("*/config.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise ScaleError(
        f"{name}: not in the local Hugging Face cache ({folder} has no config.json; nothing is downloaded): "
        f"put the model's config.json in a folder and pass that folder or file"
    )


def _read(path: Path) -> dict[str, Any]:
    text = str(path)
    if not path.exists() and text.count("/") == 1 and not text.startswith((".", "/")) and not text.endswith(".json"):
        path = from_hub_cache(text)  # a hub name: meta-llama/Llama-3.1-8B
    if path.is_dir() and (path / "config.json").is_file():
        path = path / "config.json"  # a model folder
    from ..core.files import read_text

    text = read_text(path, "a config.json file (or a model folder holding one)")
    try:
        config = json.loads(text)
    except json.JSONDecodeError as error:
        raise ScaleError(f"{path}: not a JSON file ({error})") from None
    except RecursionError:
        raise ScaleError(f"{path}: not a JSON file (nested too deeply)") from None
    if not isinstance(config, dict):
        raise ScaleError(f"{path}: expected a JSON object")
    if isinstance(config.get("text_config"), dict):
        kind = f" ({str(config['model_type'])[:40]})" if "model_type" in config else ""
        raise ScaleError(
            f"{path}: a multimodal wrapper{kind}: its language model is under text_config and its vision tower is "
            "not modelled; give the language model's own config.json"
        )
    return config


def shape_from_config(path: str | Path) -> Shape:
    """The :class:`Shape` a ``config.json`` (or a model folder holding one) describes; a bad or
    unsupported file is a ``ScaleError`` naming the file's own key."""
    path = Path(path)
    config = _read(path)
    kind = config.get("model_type")
    if kind not in SUPPORTED:
        raise ScaleError(
            f"{path}: model_type {str(kind)[:40]!r} is not supported (supported: {', '.join(SUPPORTED)}); give the shape with --layers, --d-model, ..."
        )
    _check_types(config, path)
    if kind == "gpt2":
        d_model = _first(config, "n_embd", "hidden_size")
        fields = {
            "style": "gpt2",
            "layers": _first(config, "n_layer", "num_hidden_layers"),
            "d_model": d_model,
            "heads": _first(config, "n_head", "num_attention_heads"),
            "d_ff": _first(config, "n_inner", default=None) or (4 * d_model if isinstance(d_model, int) else None),
            "vocab": config.get("vocab_size"),
            "max_seq": _first(config, "n_positions", "n_ctx", default=1024),
            "tied_embeddings": True,
        }
    elif kind == "gpt_neox":
        if config.get("attention_bias") is False:
            raise ScaleError(f"{path}: attention_bias false: a GPT-NeoX layer without biases is not supported")
        d_model = config.get("hidden_size")
        fields = {
            "style": "neox",
            "layers": config.get("num_hidden_layers"),
            "d_model": d_model,
            "heads": config.get("num_attention_heads"),
            "d_ff": config.get("intermediate_size"),
            "vocab": config.get("vocab_size"),
            "tied_embeddings": config.get("tie_word_embeddings", False) is True,
            "max_positions": config.get("max_position_embeddings"),
        }
    else:
        experts = _first(config, "num_local_experts", "num_experts", default=1) or 1
        fields = {
            "layers": config.get("num_hidden_layers"),
            "d_model": config.get("hidden_size"),
            "heads": config.get("num_attention_heads"),
            "kv_heads": config.get("num_key_value_heads"),
            "head_dim": config.get("head_dim"),
            "d_ff": config.get("intermediate_size"),
            "vocab": config.get("vocab_size"),
            "tied_embeddings": config.get("tie_word_embeddings", kind in TIED_BY_DEFAULT) is True,
            "qkv_bias": kind in {"qwen2", "qwen2_moe"} or config.get("attention_bias") is True,
            "o_bias": kind not in {"qwen2", "qwen2_moe"} and config.get("attention_bias") is True,
            "mlp_bias": config.get("mlp_bias") is True,
            "qk_norm": kind in {"qwen3", "qwen3_moe"},
            "max_positions": config.get("max_position_embeddings"),
            # Qwen2 names a window but turns it off (use_sliding_window: false).
            "sliding_window": None if config.get("use_sliding_window") is False else config.get("sliding_window"),
        }
        if kind == "gemma2":
            # Pre- and post-norms around attention and the MLP; layers 0, 2, 4, ... attend over the
            # window (Gemma2DecoderLayer: is_sliding = not layer_idx % 2).
            layers = fields["layers"]
            fields.update(layer_norms=4, sliding_window_layers=(layers + 1) // 2 if isinstance(layers, int) else None)
        if experts > 1:
            fields.update(
                experts=experts,
                experts_per_token=config.get("num_experts_per_tok", 2),
                expert_d_ff=_first(config, "moe_intermediate_size", "intermediate_size"),
                shared_expert_d_ff=config.get("shared_expert_intermediate_size") or 0,
                shared_expert_gate=bool(config.get("shared_expert_intermediate_size")),
                dense_layers=len(config.get("mlp_only_layers") or []),
            )
    names = (
        {
            "layers": "num_hidden_layers",
            "d_model": "hidden_size",
            "heads": "num_attention_heads",
            "d_ff": "intermediate_size",
            "vocab": "vocab_size",
        }
        if kind != "gpt2"
        else {"layers": "n_layer", "d_model": "n_embd", "heads": "n_head", "vocab": "vocab_size"}
    )
    missing = [
        names.get(name, name)
        for name, value in fields.items()
        if value is None and name not in {"kv_heads", "head_dim", "max_positions", "sliding_window", "sliding_window_layers"}
    ]
    if missing:
        raise ScaleError(f"{path}: missing key {', '.join(missing)} in a {kind} config")
    return validate(Shape, fields, str(path))
