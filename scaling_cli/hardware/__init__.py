"""What a model costs on real hardware: GPUs, transformer shapes, memory per GPU, serving.

Owns: :mod:`gpus` (the accelerator catalog), :mod:`shape` (exact parameter counts and FLOPs of a
decoder-only shape), :mod:`hf_config` (shapes from a Hugging Face ``config.json``), :mod:`memory`
and :mod:`activations` (memory per GPU under a parallel layout), :mod:`memory_changes` (the least
change that makes a run fit), :mod:`single_gpu` (ways to train on one GPU), :mod:`serving` (the
decoding roofline).

May import: ``core``. Nothing of ``laws``, ``planning``, ``fitting``, ``plots`` or ``cli``.
"""
