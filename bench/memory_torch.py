"""Measure what eager PyTorch / Hugging Face training really keeps in memory (issue #26).

For small public Llama-style configs (random weights, nothing downloaded) this trains one step at
a time as plain PyTorch / Hugging Face code does: fp32 weights, bf16 autocast, fused AdamW, SDPA
attention, the loss computed by the model from ``labels``; with and without gradient
checkpointing, over micro-batches 1-16 and sequences 1k-8k. For every point it records

- ``state_bytes``: what stays allocated between steps (weights, AdamW's two moments);
- ``peak_bytes``: ``torch.cuda.max_memory_allocated`` over forward, backward and optimizer step;
- ``forward_peak_bytes`` and ``backward_peak_bytes``: the same up to the end of each phase;
- ``saved_bytes``: the activations autograd saves for the backward pass (unique storages seen by
  ``torch.autograd.graph.saved_tensors_hooks``, parameters and their bf16 copies apart), without
  checkpointing; with checkpointing the checkpoint's own hooks hide them, so it is left empty;
- ``saved_by_part``: every saved storage split by the module that saved it (norms, attention,
  MLP, head, the loss outside any module), with the parameters and autocast's bf16 weight copies
  as parts of their own.

The recorded file is test data: ``tests/data/memory_torch.json`` holds a GPU run, and
``tests/test_memory_pytorch.py`` checks the ``pytorch`` framework formula against it.

    python bench/memory_torch.py --out tests/data/memory_torch.json        # needs torch, transformers
    python bench/memory_torch.py --configs smollm2-135m --device cpu       # saved bytes only on CPU
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import platform
import sys
import time

CONFIGS = {
    # config.json values of the public models (Hugging Face hub), the fields training memory depends on
    "smollm2-135m": dict(
        arch="llama",
        vocab_size=49152,
        hidden_size=576,
        intermediate_size=1536,
        num_hidden_layers=30,
        num_attention_heads=9,
        num_key_value_heads=3,
        tie_word_embeddings=True,
        rope_theta=100000.0,
    ),
    "smollm2-360m": dict(
        arch="llama",
        vocab_size=49152,
        hidden_size=960,
        intermediate_size=2560,
        num_hidden_layers=32,
        num_attention_heads=15,
        num_key_value_heads=5,
        tie_word_embeddings=True,
        rope_theta=100000.0,
    ),
    "qwen2.5-0.5b": dict(
        arch="qwen2",
        vocab_size=151936,
        hidden_size=896,
        intermediate_size=4864,
        num_hidden_layers=24,
        num_attention_heads=14,
        num_key_value_heads=2,
        tie_word_embeddings=True,
        rope_theta=1000000.0,
    ),
    "tinyllama-1.1b": dict(
        arch="llama",
        vocab_size=32000,
        hidden_size=2048,
        intermediate_size=5632,
        num_hidden_layers=22,
        num_attention_heads=32,
        num_key_value_heads=4,
        tie_word_embeddings=False,
        rope_theta=10000.0,
    ),
    # Held out: not looked at when the count was derived (multi-head attention; a wide vocabulary at 1.5B).
    "smollm2-1.7b": dict(
        arch="llama",
        vocab_size=49152,
        hidden_size=2048,
        intermediate_size=8192,
        num_hidden_layers=24,
        num_attention_heads=32,
        num_key_value_heads=32,
        tie_word_embeddings=True,
        rope_theta=130000.0,
    ),
    "qwen2.5-1.5b": dict(
        arch="qwen2",
        vocab_size=151936,
        hidden_size=1536,
        intermediate_size=8960,
        num_hidden_layers=28,
        num_attention_heads=12,
        num_key_value_heads=2,
        tie_word_embeddings=True,
        rope_theta=1000000.0,
    ),
    "llama-3.2-1b": dict(
        arch="llama",
        vocab_size=128256,
        hidden_size=2048,
        intermediate_size=8192,
        num_hidden_layers=16,
        num_attention_heads=32,
        num_key_value_heads=8,
        tie_word_embeddings=True,
        rope_theta=500000.0,
        head_dim=64,
    ),
}
MICRO_BATCHES = (1, 2, 4, 8, 16)
SEQS = (1024, 2048, 4096, 8192)


def build(name, device, torch, transformers):
    spec = dict(CONFIGS[name])
    arch = spec.pop("arch")
    config_class = transformers.Qwen2Config if arch == "qwen2" else transformers.LlamaConfig
    config = config_class(**spec, max_position_embeddings=8192, use_cache=False, attention_dropout=0.0)
    with torch.device(device):
        model = transformers.AutoModelForCausalLM.from_config(config, attn_implementation="sdpa", dtype=torch.float32)
    model.train()
    return model, config


PARTS = (("norm", "norm"), ("self_attn", "attention"), ("mlp", "mlp"), ("lm_head", "head"), ("embed", "embedding"), ("rotary", "rope"))


class SavedTensors:
    """Unique storages autograd saves for backward, by the module that was running."""

    def __init__(self, torch, model):
        self.torch, self.seen, self.by_part, self.current = torch, {}, {}, ["loss"]
        self.handles = []
        # Saved parameters are the model's own state and their bf16 copies autocast's weight cache:
        # both are counted apart from activations.
        self.parameters = {p.untyped_storage().data_ptr() for p in model.parameters()}
        for module_name, module in model.named_modules():
            part = next((p for key, p in PARTS if key in module_name.split(".")[-1]), None)
            if part is None:
                continue
            self.handles.append(module.register_forward_pre_hook(lambda _m, _a, p=part: self.current.append(p)))
            self.handles.append(module.register_forward_hook(lambda _m, _a, _o: self.leave()))

    @staticmethod
    def is_weight_copy(tensor):
        """A cast of a parameter (autocast's bf16 weight cache), maybe viewed or transposed: its
        gradient flows through the cast straight to the parameter's AccumulateGrad. (The data
        recorded before this test classified by shape, which a 2048-token activation of a
        2048-wide model also has.)"""
        function = tensor.grad_fn
        for _ in range(3):
            if function is None or not function.next_functions:
                return False
            following = function.next_functions[0][0]
            if type(following).__name__ == "AccumulateGrad":
                return type(function).__name__.startswith("ToCopy")
            function = following
        return False

    def leave(self):
        self.current.pop()  # returns None: a forward hook's return value would replace the output

    def pack(self, tensor):
        storage = tensor.untyped_storage()
        key = (storage.data_ptr(), storage.nbytes())
        if key not in self.seen and storage.nbytes():
            part = self.current[-1]
            if key[0] in self.parameters:
                part = "parameters"
            elif self.is_weight_copy(tensor):
                part = "weight_copies"
            self.seen[key] = part
            self.by_part[part] = self.by_part.get(part, 0) + storage.nbytes()
        return tensor

    def close(self):
        for handle in self.handles:
            handle.remove()

    @property
    def activations(self):
        return sum(n for part, n in self.by_part.items() if part not in {"parameters", "weight_copies"})


def step(model, optimizer, tokens, checkpointing, torch, device, saved=None):
    cuda = device == "cuda"
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    state = torch.cuda.memory_allocated() if cuda else 0
    hooks = torch.autograd.graph.saved_tensors_hooks(saved.pack, lambda t: t) if saved else contextlib.nullcontext()
    with hooks, torch.autocast(device_type=device, dtype=torch.bfloat16):
        loss = model(input_ids=tokens, labels=tokens).loss
    forward_peak = torch.cuda.max_memory_allocated() if cuda else 0
    loss.backward()
    backward_peak = torch.cuda.max_memory_allocated() if cuda else 0
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    if cuda:
        torch.cuda.synchronize()
    peak = torch.cuda.max_memory_allocated() if cuda else 0
    reserved = torch.cuda.max_memory_reserved() if cuda else 0
    return dict(
        state_bytes=state, forward_peak_bytes=forward_peak, backward_peak_bytes=backward_peak, peak_bytes=peak, reserved_peak_bytes=reserved
    )


def measure(name, device, max_tokens, torch, transformers, modes=(False, True)):
    model, config = build(name, device, torch, transformers)
    params = sum(p.numel() for p in model.parameters())
    fused = device == "cuda"
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=fused)
    vocab = config.vocab_size
    generator = torch.Generator(device="cpu").manual_seed(0)

    def tokens(b, s):
        return torch.randint(0, vocab, (b, s), generator=generator).to(device)

    step(model, optimizer, tokens(1, 256), False, torch, device)  # AdamW's moments exist from here on
    rows = []
    for checkpointing in modes:
        too_many = None  # the fewest tokens that ran out of memory: larger points are skipped
        if checkpointing:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        # Fewest tokens first: once a point runs out of memory every later one would, and a step
        # that failed leaves memory behind that the process does not get back.
        for b, s in sorted(((b, s) for b in MICRO_BATCHES for s in SEQS), key=lambda point: (point[0] * point[1], point[1])):
            if b * s > max_tokens or too_many is not None:
                continue
            saved = SavedTensors(torch, model) if not checkpointing else None
            row = dict(config=name, params=params, micro_batch=b, seq=s, checkpointing=checkpointing)
            started = time.perf_counter()
            try:
                row.update(step(model, optimizer, tokens(b, s), checkpointing, torch, device, saved))
                row["oom"] = False
            except torch.OutOfMemoryError:
                optimizer.zero_grad(set_to_none=True)
                row["oom"] = True
                too_many = b * s
            finally:
                if saved:
                    saved.close()
            if saved and not row["oom"]:
                row["saved_bytes"] = saved.activations
                row["saved_by_part"] = dict(sorted(saved.by_part.items()))
            row["seconds"] = round(time.perf_counter() - started, 3)
            rows.append(row)
            gc.collect()  # the failed step's frames hold its tensors in a cycle with the exception
            if device == "cuda":
                torch.cuda.empty_cache()
            print(json.dumps({k: v for k, v in row.items() if k != "saved_by_part"}), flush=True)
        if checkpointing:
            model.gradient_checkpointing_disable()  # the next pass measures without it
    del model, optimizer
    if device == "cuda":
        torch.cuda.empty_cache()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="*", default=list(CONFIGS))
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--max-tokens", type=int, default=65536, help="largest micro_batch x seq measured")
    parser.add_argument("--out", default="memory_torch.json")
    parser.add_argument("--checkpointing", choices=("both", "off", "on"), default="both")
    args = parser.parse_args()
    import torch
    import transformers

    if args.device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
    environment = dict(
        torch=torch.__version__,
        transformers=transformers.__version__,
        python=sys.version.split()[0],
        machine=platform.machine(),
        device=torch.cuda.get_device_name() if args.device == "cuda" else "cpu",
        capacity_bytes=torch.cuda.get_device_properties(0).total_memory if args.device == "cuda" else None,
        setup="fp32 weights, torch.autocast(bfloat16), AdamW(fused=True), attn_implementation='sdpa', loss from labels, "
        "gradient checkpointing use_reentrant=False; one step measured after a warm-up step",
    )
    rows, failures = [], {}
    for name in args.configs:
        try:
            # Checkpointing first: a step that runs out of memory (the largest without checkpointing)
            # leaves memory behind, so it comes last.
            modes = {"both": (True, False), "off": (False,), "on": (True,)}[args.checkpointing]
            rows.extend(measure(name, args.device, args.max_tokens, torch, transformers, modes))
        except Exception as error:  # one config failing must not lose the others' measurements
            failures[name] = repr(error)
            print(f"{name}: {error!r}", flush=True)
        with open(args.out, "w") as file:  # after every config, so a run cut short keeps what it measured
            json.dump({"environment": environment, "configs": CONFIGS, "failures": failures, "measurements": rows}, file, indent=1)
    print(json.dumps(environment))


if __name__ == "__main__":
    main()
