"""Reading a model's shape from a Hugging Face ``config.json`` on disk (never from the network).

Supported: the Llama family of layouts (``llama``, ``mistral``, ``mixtral``, ``qwen2``,
``qwen2_moe``, ``qwen3``, ``qwen3_moe``) and ``gpt2``. What peer calculators miscount is counted
exactly: SwiGLU's three matrices, grouped-query attention (``num_key_value_heads``), untied
embeddings (``tie_word_embeddings``), Qwen2's q/k/v biases and Qwen3's q/k norms, and mixtures of
experts (total and active parameters, routers, Qwen2-MoE's shared expert). Other layouts are
refused by name rather than miscounted.
"""

from __future__ import annotations

import json
from pathlib import Path

from .configs import validate
from .errors import ScaleError
from .shape import Shape

LLAMA_LIKE = {"llama", "mistral", "mixtral", "qwen2", "qwen2_moe", "qwen3", "qwen3_moe"}
SUPPORTED = sorted(LLAMA_LIKE | {"gpt2"})


def _first(config: dict, *keys: str, default=None):
    for key in keys:
        if config.get(key) is not None:
            return config[key]
    return default


def shape_from_config(path: str | Path) -> Shape:
    """The :class:`Shape` a ``config.json`` describes; a bad or unsupported file is a ``ScaleError``."""
    path = Path(path)
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScaleError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ScaleError(f"{path}: is a directory, expected a config.json file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ScaleError(f"{path}: not a JSON file ({error})") from None
    if not isinstance(config, dict):
        raise ScaleError(f"{path}: expected a JSON object")
    kind = config.get("model_type")
    if kind not in SUPPORTED:
        raise ScaleError(f"{path}: model_type {kind!r} is not supported (supported: {', '.join(SUPPORTED)}); give the shape with --layers, --d-model, ...")
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
            "tied_embeddings": bool(config.get("tie_word_embeddings", False)),
            "qkv_bias": kind in {"qwen2", "qwen2_moe"} or bool(config.get("attention_bias", False)),
            "o_bias": kind not in {"qwen2", "qwen2_moe"} and bool(config.get("attention_bias", False)),
            "mlp_bias": bool(config.get("mlp_bias", False)),
            "qk_norm": kind in {"qwen3", "qwen3_moe"},
        }
        if experts > 1:
            fields.update(
                experts=experts,
                experts_per_token=config.get("num_experts_per_tok", 2),
                expert_d_ff=_first(config, "moe_intermediate_size", "intermediate_size"),
                shared_expert_d_ff=config.get("shared_expert_intermediate_size") or 0,
                shared_expert_gate=bool(config.get("shared_expert_intermediate_size")),
                dense_layers=len(config.get("mlp_only_layers") or []),
            )
    missing = [name for name, value in fields.items() if value is None and name not in {"kv_heads", "head_dim"}]
    if missing:
        raise ScaleError(f"{path}: missing key for {', '.join(missing)} in a {kind} config")
    return validate(Shape, fields, str(path))
