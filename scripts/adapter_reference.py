#!/usr/bin/env python3
"""Reference values for thinkrl's adapter parity tests, computed with PyTorch, transformers and peft.

    python3 scripts/adapter_reference.py --fixtures test/fixtures --out test/fixtures/adapt/reference

Reads test/fixtures/hf/{tiny-llama,tiny-qwen2} and the adapter fixtures that `scripts/make-adapter-fixtures.ts` writes
(test/fixtures/adapt/), and writes under --out:

    svf.json        tiny-llama with the SVF expert tiny-llama-svf.safetensors applied the way Transformer²'s
                    reference code does (SakanaAI/self-adaptive-llms: U, S, V = svd(W); m = sigmoid(p)·max_mult;
                    W' = U·diag(S·m)·Vᵀ · ΣS/Σ(S·m)), the SVD taken by torch in float64: `weights` W' [out, in] of two
                    matrices, `logits` [2, T, V] of a plain causal forward on `input_ids`
    lora.json       `thinkrl_adapter_logits`: tiny-qwen2 + the thinkrl-written adapter tiny-qwen2-lora/ loaded by
                    PeftModel.from_pretrained; `peft_adapter_logits`: tiny-qwen2 + an adapter made by peft itself
                    (LoraConfig r 4, α 8, q/v/down_proj, init_lora_weights=False so B ≠ 0, torch seed 0)
    peft-made/      that peft adapter, save_pretrained (adapter_config.json + adapter_model.safetensors)
"""
import argparse
import json
import os

import torch
from safetensors import safe_open
from transformers import AutoModelForCausalLM


def logits(model, ids):
    with torch.no_grad():
        return model(input_ids=torch.tensor(ids, dtype=torch.long), use_cache=False).logits.float().tolist()


def svf(fixtures, out):
    hf = os.path.join(fixtures, "hf", "tiny-llama")
    ref = json.load(open(os.path.join(hf, "reference.json")))
    model = AutoModelForCausalLM.from_pretrained(hf, torch_dtype=torch.float32, attn_implementation="eager").eval()
    sd = model.state_dict()
    path = os.path.join(fixtures, "adapt", "tiny-llama-svf.safetensors")
    weights = {}
    with safe_open(path, "pt") as f:
        meta = f.metadata()
        assert meta["parameterization"] == "sigmoid", meta
        max_mult = float(meta["max_mult"])
        for name in f.keys():
            p = f.get_tensor(name).double()
            W = sd[name].double()
            U, S, Vh = torch.linalg.svd(W, full_matrices=False)
            m = torch.sigmoid(p) * max_mult
            s = S * m
            Wp = (U * s) @ Vh * (S.sum() / s.sum())
            sd[name].copy_(Wp.float())
            weights[name] = Wp.float().tolist()
    keep = ["model.layers.1.mlp.down_proj.weight", "model.layers.0.self_attn.q_proj.weight"]
    json.dump({"input_ids": ref["input_ids"], "logits": logits(model, ref["input_ids"]), "weights": {k: weights[k] for k in keep}, "versions": versions()}, open(os.path.join(out, "svf.json"), "w"))


def lora(fixtures, out):
    from peft import LoraConfig, PeftModel, get_peft_model

    hf = os.path.join(fixtures, "hf", "tiny-qwen2")
    ref = json.load(open(os.path.join(hf, "reference.json")))
    load = lambda: AutoModelForCausalLM.from_pretrained(hf, torch_dtype=torch.float32, attn_implementation="eager").eval()
    ours = PeftModel.from_pretrained(load(), os.path.join(fixtures, "adapt", "tiny-qwen2-lora")).eval()
    thinkrl_logits = logits(ours, ref["input_ids"])
    torch.manual_seed(0)
    cfg = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=["q_proj", "v_proj", "down_proj"], init_lora_weights=False, task_type="CAUSAL_LM")
    made = get_peft_model(load(), cfg).eval()
    made.save_pretrained(os.path.join(out, "peft-made"))
    peft_logits = logits(made, ref["input_ids"])
    base_logits = logits(load(), ref["input_ids"])
    json.dump({"input_ids": ref["input_ids"], "thinkrl_adapter_logits": thinkrl_logits, "peft_adapter_logits": peft_logits, "base_logits": base_logits, "versions": versions()}, open(os.path.join(out, "lora.json"), "w"))


def versions():
    import peft
    import transformers

    return {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__}


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixtures", default="test/fixtures")
    ap.add_argument("--out", default="test/fixtures/adapt/reference")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    svf(a.fixtures, a.out)
    lora(a.fixtures, a.out)
    print("wrote", a.out)
