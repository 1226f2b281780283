#!/usr/bin/env python3
"""Build tiny random Hugging Face checkpoints + reference logits for thinkrl's parity tests.

    python3 scripts/make_fixtures.py --out test/fixtures/hf

Needs torch and transformers (no network). Writes, under --out:

    tiny-llama/          LlamaForCausalLM, fp32, untied embeddings, rope_theta 1e4, no attention bias
    tiny-qwen2/          Qwen2ForCausalLM, fp32, tied embeddings, rope_theta 1e6, q/k/v bias
    tiny-llama-bf16/     tiny-llama cast to bfloat16 before saving (torch_dtype bfloat16)
    tiny-qwen2-sharded/  tiny-qwen2 saved with a small max_shard_size (>= 2 shards + index)

Each directory holds config.json, generation_config.json, model.safetensors (or shards + index), a
character-level tokenizer.json in the exact format of thinkrl's `buildCharTokenizerJson(CHARS, SPECIAL_TOKENS)`,
tokenizer_config.json, and reference.json:

    input_ids      [2, 12] token ids (fixed below)
    logits         [2, 12, V] float32 logits of a plain causal forward (no attention mask, no KV cache)
    greedy         {prompt_ids, output_ids}: 8 greedy tokens (argmax, full re-forward each step, EOS ignored)
    chars, special_tokens   the tokenizer's inputs, so the TS side can rebuild tokenizer.json and compare

For the bf16 copy the reference is computed from the bf16 weights upcast to float32 (what thinkrl does when it
loads them). Weights are drawn from a seeded generator with std WEIGHT_STD = 0.2 (larger than HF's 0.02 init, so logits are
far from uniform); RMSNorm weights are 1 + 0.1·N(0,1), biases WEIGHT_STD·N(0,1), so that norms and biases are
exercised too.
"""
import argparse
import copy
import json
import os
import shutil

import torch
from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

SEED = 1234
WEIGHT_STD = 0.2  # matrices and biases; HF init uses 0.02, which gives near-uniform logits
SPECIAL_TOKENS = ["<pad>", "<bos>", "<eos>", "<think>", "</think>", "<answer>", "</answer>"]
CHARS = list("0123456789abcdefghijklmnopqrstuvwxyz") + list(" +-*/=().,:;?!<>'\"\n[]")
VOCAB = len(SPECIAL_TOKENS) + len(CHARS)
assert VOCAB == 64, VOCAB
PAD, BOS, EOS = 0, 1, 2

INPUT_IDS = [
    [BOS, 3, 11, 14, 44, 9, 50, 12, 12, 4, 5, 13],
    [BOS, 63, 7, 8, 20, 33, 41, 60, 6, 2, 30, 17],
]
GREEDY_PROMPT = [BOS, 3, 11, 44, 12]
GREEDY_NEW = 8

COMMON = dict(
    vocab_size=VOCAB,
    hidden_size=32,
    intermediate_size=64,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    max_position_embeddings=64,
    rms_norm_eps=1e-6,
    bos_token_id=BOS,
    eos_token_id=EOS,
    pad_token_id=PAD,
    hidden_act="silu",
)


def char_tokenizer_json():
    """Same JSON as src/model/tokenizer.ts buildCharTokenizerJson(CHARS, SPECIAL_TOKENS)."""
    vocab = {}
    added = []
    for tok in SPECIAL_TOKENS:
        vocab[tok] = len(vocab)
        added.append(dict(id=vocab[tok], content=tok, single_word=False, lstrip=False, rstrip=False, normalized=False, special=True))
    for c in CHARS:
        vocab[c] = len(vocab)
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": None,
        "post_processor": None,
        "decoder": {"type": "Fuse"},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": False,
            "vocab": vocab,
            "merges": [],
        },
    }


TOKENIZER_CONFIG = {
    "tokenizer_class": "PreTrainedTokenizerFast",
    "bos_token": "<bos>",
    "eos_token": "<eos>",
    "pad_token": "<pad>",
    "clean_up_tokenization_spaces": False,
    "model_max_length": 64,
}


def check_tokenizer(tok_json):
    """Sanity-check the tokenizer with the Rust `tokenizers` library, when installed."""
    try:
        from tokenizers import Tokenizer
    except ImportError:
        print("  (tokenizers not installed; skipping tokenizer check)")
        return
    tok = Tokenizer.from_str(json.dumps(tok_json))
    text = "<think>47+85=132</think><answer>132</answer>"
    ids = tok.encode(text, add_special_tokens=False).ids
    assert ids[0] == SPECIAL_TOKENS.index("<think>") and len(ids) == 4 + len("47+85=132") + len("132"), ids
    assert tok.decode(ids, skip_special_tokens=False) == text, tok.decode(ids, skip_special_tokens=False)
    print("  tokenizer.json round-trips in Rust tokenizers")


@torch.no_grad()
def randomize(model, seed):
    g = torch.Generator().manual_seed(seed)
    for name, p in model.named_parameters():  # tied lm_head is the same Parameter and is listed once
        noise = torch.randn(p.shape, generator=g, dtype=torch.float32)
        if name.endswith("norm.weight"):
            p.copy_(1.0 + 0.1 * noise)
        else:
            p.copy_(WEIGHT_STD * noise)


@torch.no_grad()
def reference(model):
    model.eval()
    ids = torch.tensor(INPUT_IDS, dtype=torch.long)
    logits = model(input_ids=ids, use_cache=False).logits.float()
    seq = list(GREEDY_PROMPT)
    for _ in range(GREEDY_NEW):
        out = model(input_ids=torch.tensor([seq]), use_cache=False).logits[0, -1]
        seq.append(int(out.argmax()))
    return {
        "input_ids": INPUT_IDS,
        "logits": logits.tolist(),
        "greedy": {"prompt_ids": GREEDY_PROMPT, "output_ids": seq[len(GREEDY_PROMPT):]},
        "chars": CHARS,
        "special_tokens": SPECIAL_TOKENS,
        "torch_version": torch.__version__,
    }


def save(model, out_dir, ref_model=None, **kwargs):
    if os.path.exists(out_dir):
        shutil.rmtree(out_dir)
    model.save_pretrained(out_dir, safe_serialization=True, **kwargs)
    tok_json = char_tokenizer_json()
    with open(os.path.join(out_dir, "tokenizer.json"), "w") as f:
        json.dump(tok_json, f, ensure_ascii=False, indent=2)
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w") as f:
        json.dump(TOKENIZER_CONFIG, f, indent=2)
    ref = reference(ref_model if ref_model is not None else model)
    with open(os.path.join(out_dir, "reference.json"), "w") as f:
        json.dump(ref, f)
    total = sum(os.path.getsize(os.path.join(out_dir, n)) for n in os.listdir(out_dir))
    print(f"{out_dir}: {sorted(os.listdir(out_dir))}, {total / 1024:.0f} KiB")
    assert total < 1024 * 1024, f"{out_dir} is {total} bytes (limit 1 MiB)"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="output folder, e.g. test/fixtures/hf")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(SEED)
    check_tokenizer(char_tokenizer_json())

    llama_cfg = LlamaConfig(**COMMON, rope_theta=10000.0, tie_word_embeddings=False, attention_bias=False, mlp_bias=False)
    llama = LlamaForCausalLM(llama_cfg).to(torch.float32)
    randomize(llama, SEED)
    save(llama, os.path.join(args.out, "tiny-llama"))

    # bf16 copy: saved as bf16; reference from the rounded weights upcast to fp32. The reference model is the
    # fp32 model with its parameters rounded, not `llama_bf16.float()`: `.to(bfloat16)` also rounds the RoPE
    # `inv_freq` buffer, which a loader recomputes in fp32.
    llama_bf16 = copy.deepcopy(llama).to(torch.bfloat16)
    llama_rounded = copy.deepcopy(llama)
    with torch.no_grad():
        for p in llama_rounded.parameters():
            p.copy_(p.to(torch.bfloat16).to(torch.float32))
    save(llama_bf16, os.path.join(args.out, "tiny-llama-bf16"), ref_model=llama_rounded)

    qwen_cfg = Qwen2Config(**COMMON, rope_theta=1000000.0, tie_word_embeddings=True, use_sliding_window=False)
    qwen = Qwen2ForCausalLM(qwen_cfg).to(torch.float32)
    randomize(qwen, SEED + 1)
    assert qwen.lm_head.weight.data_ptr() == qwen.model.embed_tokens.weight.data_ptr(), "qwen2 embeddings not tied"
    save(qwen, os.path.join(args.out, "tiny-qwen2"))

    sharded = os.path.join(args.out, "tiny-qwen2-sharded")
    save(qwen, sharded, max_shard_size="20KB")
    shards = [n for n in os.listdir(sharded) if n.endswith(".safetensors")]
    assert len(shards) >= 2 and os.path.exists(os.path.join(sharded, "model.safetensors.index.json")), shards


if __name__ == "__main__":
    main()
