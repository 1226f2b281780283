#!/usr/bin/env python3
"""PyTorch + transformers side of `bench/gpu.ts`: the same measurements on the same checkpoint and shapes.

    python3 bench/gpu_reference.py --model DIR --dtype fp32|bf16 --json OUT.json

- load: `AutoModelForCausalLM.from_pretrained(DIR, torch_dtype=...)` onto the GPU.
- generate: `model.generate(do_sample=True, temperature=1, top_p=1, top_k=0, max_new_tokens=N, min_new_tokens=N)`
  (`min_new_tokens` suppresses EOS, so every row gets exactly N tokens) for a batch of identical prompts with the
  same ids as thinkrl's (`(17 + 31 i) mod V`). Timed twice: the first call's extra time is reported as compile.
- train: one GRPO-shaped step on ROWS x LEN tokens (completion mask after the first PROMPT_LEN tokens,
  advantages +1/-1): loss = -sum_t w_t * A * exp(logp_t - stopgrad(logp_t)) with the GRPO per-sequence token
  mean (the loss thinkrl's `grpo` aggregation computes at ratio 1), backward, AdamW. fp32: plain float32 weights.
  bf16: float32 master weights under `torch.autocast(dtype=bfloat16)` (the setting TRL's `bf16=True` uses),
  while generation loads bfloat16 weights (as vLLM / TRL generation do).
Peak allocator memory (`torch.cuda.max_memory_allocated`) is reported beside the nvidia-smi figure bench/gpu.ts takes.
"""
import argparse
import json
import time

import torch
from transformers import AutoModelForCausalLM


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--dtype", choices=["fp32", "bf16"], default="fp32")
    ap.add_argument("--json", required=True)
    ap.add_argument("--batches", default="1,8,64")
    ap.add_argument("--new-tokens", type=int, default=256)
    ap.add_argument("--prompt-len", type=int, default=16)
    ap.add_argument("--train-rows", type=int, default=64)
    ap.add_argument("--train-len", type=int, default=512)
    ap.add_argument("--train-prompt-len", type=int, default=64)
    ap.add_argument("--micro-batch", type=int, default=16, help="rows per forward/backward (gradient accumulation)")
    a = ap.parse_args()
    dev = torch.device("cuda")
    res = {"side": f"torch-{a.dtype}", "generate": {}, "train": {}, "notes": [f"torch {torch.__version__}, {torch.cuda.get_device_name(0)}"]}

    def save():
        with open(a.json, "w") as f:
            json.dump(res, f, indent=2)

    gen_dtype = torch.bfloat16 if a.dtype == "bf16" else torch.float32
    torch.cuda.synchronize()
    t = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(a.model, torch_dtype=gen_dtype).to(dev)
    torch.cuda.synchronize()
    res["loadSeconds"] = time.perf_counter() - t
    V = model.config.vocab_size
    prompt = [(17 + 31 * i) % V for i in range(a.prompt_len)]
    model.generation_config.pad_token_id = model.generation_config.pad_token_id or 0
    save()

    for B in [int(x) for x in a.batches.split(",")]:
        ids = torch.tensor([prompt] * B, device=dev)
        att = torch.ones_like(ids)

        def once():
            torch.manual_seed(B)
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            out = model.generate(input_ids=ids, attention_mask=att, do_sample=True, temperature=1.0, top_p=1.0, top_k=0,
                                 max_new_tokens=a.new_tokens, min_new_tokens=a.new_tokens)
            torch.cuda.synchronize()
            assert out.shape == (B, a.prompt_len + a.new_tokens), out.shape
            return time.perf_counter() - t0

        first = once()
        second = once()
        res["generate"][str(B)] = {"tokensPerSecond": B * a.new_tokens / second, "seconds": second, "compileSeconds": max(0.0, first - second)}
        print(f"[torch {a.dtype}] generate B{B}: {B * a.new_tokens / second:.0f} tok/s", flush=True)
        save()

    # Training: float32 master weights (autocast bf16 for the bf16 column).
    model = model.float().train()
    model.config.use_cache = False
    opt = torch.optim.AdamW(model.parameters(), lr=1e-6, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.0)
    g = torch.Generator().manual_seed(7)
    R, T, P = a.train_rows, a.train_len, a.train_prompt_len
    tokens = torch.randint(0, V, (R, T), generator=g).to(dev)
    targets = torch.randint(0, V, (R, T), generator=g).to(dev)
    mask = torch.zeros(R, T, device=dev)
    mask[:, P - 1:] = 1
    w = mask / mask.sum(1, keepdim=True) / R  # GRPO: mean over each sequence's tokens, then over sequences
    adv = torch.tensor([1.0 if r % 2 == 0 else -1.0 for r in range(R)], device=dev)[:, None]

    def step():
        # Micro-batches with gradient accumulation, as TRL's per_device_train_batch_size: the full 64 x 512 x 151,936
        # float32 logits (18.5 GiB a copy) do not fit beside their log-softmax and gradients.
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        total = 0.0
        for s in range(0, R, a.micro_batch):
            e = min(R, s + a.micro_batch)
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=a.dtype == "bf16"):
                logits = model(input_ids=tokens[s:e]).logits
            logp = torch.log_softmax(logits.float(), -1).gather(-1, targets[s:e, :, None])[..., 0]
            ratio = torch.exp(logp - logp.detach())
            loss = -(w[s:e] * adv[s:e] * ratio).sum()
            loss.backward()
            total += loss.item()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        torch.cuda.synchronize()
        return time.perf_counter() - t0, total

    torch.cuda.reset_peak_memory_stats()
    first, _ = step()
    second, loss = step()
    res["train"] = {"seconds": second, "compileSeconds": max(0.0, first - second), "measuredMicroBatches": -(-R // a.micro_batch), "microBatches": -(-R // a.micro_batch), "microBatchRows": a.micro_batch, "loss": loss}
    res["torchPeakAllocatedGiB"] = torch.cuda.max_memory_allocated() / 2**30
    print(f"[torch {a.dtype}] train step: {second:.2f} s", flush=True)
    save()


if __name__ == "__main__":
    main()
