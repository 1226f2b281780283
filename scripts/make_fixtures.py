#!/usr/bin/env python3
"""Build tiny random Hugging Face checkpoints + reference logits for thinkrl's parity tests.

    python3 scripts/make_fixtures.py --out test/fixtures/hf

Needs torch and transformers (no network). Writes, under --out:

    tiny-llama/          LlamaForCausalLM, fp32, untied embeddings, rope_theta 1e4, no attention bias
    tiny-qwen2/          Qwen2ForCausalLM, fp32, tied embeddings, rope_theta 1e6, q/k/v bias
    tiny-llama-bf16/     tiny-llama cast to bfloat16 before saving (torch_dtype bfloat16)
    tiny-qwen2-sharded/  tiny-qwen2 saved with a small max_shard_size (>= 2 shards + index)
    tiny-llama-rope-linear/   tiny-llama weights, rope_type "linear" (factor 4)
    tiny-llama-rope-dynamic/  tiny-llama weights, rope_type "dynamic" (factor 2, max_position_embeddings 16)
    tiny-llama-rope-llama3/   tiny-llama weights, rope_type "llama3" (factor 8, low/high 1/4, original 64)
    tiny-qwen2-rope-yarn/     tiny-qwen2 weights, rope_type "yarn" (factor 4, original 1024, attention factor
                              from the paper's 0.1 ln(s) + 1)

Each directory holds config.json, generation_config.json, model.safetensors (or shards + index), a
character-level tokenizer.json in the exact format of thinkrl's `buildCharTokenizerJson(CHARS, SPECIAL_TOKENS)`,
tokenizer_config.json, and reference.json:

    input_ids      [2, T] token ids (fixed below; T = 12, or 40 for the rope-* fixtures so that positions pass
                   the dynamic fixture's max_position_embeddings and the scaled regime is exercised)
    logits         [2, T, V] float32 logits of a plain causal forward (no attention mask, no KV cache)
    greedy         {prompt_ids, output_ids}: 32 greedy tokens, argmax of a full re-forward each step, EOS ignored
    greedy_cached  {prompt_ids, output_ids, method}: 32 greedy tokens from transformers `generate(do_sample=False,
                   use_cache=True)` with EOS disabled (method "generate"), cross-checked against a hand-written
                   KV-cache loop; `greedy_match` says whether the two references agree. They can differ for
                   rope_type "dynamic": with a KV cache, each decode step rotates its key with the frequencies of
                   that step's sequence length (max position + 1), while cached keys keep theirs; a re-forward
                   rotates every key with the frequencies of the full length.
    plain_rope_max_abs_diff  (rope-* fixtures) max |logit - logit of the same weights with plain RoPE| on the same
                   input: proof that the scaling changed the reference
    chars, special_tokens   the tokenizer's inputs, so the TS side can rebuild tokenizer.json and compare

Dynamic RoPE in transformers is stateful (`dynamic_rope_update` grows the cached frequencies and resets them only
below the original length); every reference computation here first resets the rotary module, so each call sees
frequencies that are a function of its own max position alone (what a fresh model computes).

For the bf16 copy the reference is computed from the bf16 weights upcast to float32 (what thinkrl does when it
loads them). Weights are drawn from a seeded generator with std WEIGHT_STD = 0.2 (larger than HF's 0.02 init, so logits are
far from uniform); RMSNorm weights are 1 + 0.1·N(0,1), biases WEIGHT_STD·N(0,1), so that norms and biases are
exercised too.
"""
import argparse
import copy
import json
import os
import random
import shutil

import torch
import transformers
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
GREEDY_NEW = 32
ROPE_INPUT_LEN = 40  # > the dynamic fixture's max_position_embeddings (16)


def rope_input_ids():
    """[2, ROPE_INPUT_LEN] ids for the rope-* fixtures: BOS then seeded random non-special tokens."""
    r = random.Random(SEED)
    return [[BOS] + [r.randrange(len(SPECIAL_TOKENS), VOCAB) for _ in range(ROPE_INPUT_LEN - 1)] for _ in range(2)]

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


def reset_rope(model):
    """Forget dynamic RoPE state (`inv_freq` grown by an earlier, longer call): back to the init frequencies."""
    for m in model.modules():
        if hasattr(m, "original_inv_freq") and hasattr(m, "max_seq_len_cached"):
            m.inv_freq = m.original_inv_freq.clone()
            m.max_seq_len_cached = m.original_max_seq_len


@torch.no_grad()
def forward_logits(model, ids):
    reset_rope(model)
    return model(input_ids=torch.tensor(ids, dtype=torch.long), use_cache=False).logits.float()


@torch.no_grad()
def greedy_reforward(model, prompt, n):
    seq = list(prompt)
    for _ in range(n):
        reset_rope(model)
        out = model(input_ids=torch.tensor([seq]), use_cache=False).logits[0, -1]
        seq.append(int(out.argmax()))
    return seq[len(prompt):]


@torch.no_grad()
def greedy_cache_loop(model, prompt, n):
    """Greedy decoding with a KV cache, by hand: one prefill, then one token per forward at its own position."""
    reset_rope(model)
    out = model(input_ids=torch.tensor([prompt]), use_cache=True)
    past, new = out.past_key_values, [int(out.logits[0, -1].argmax())]
    while len(new) < n:
        pos = len(prompt) + len(new) - 1
        out = model(
            input_ids=torch.tensor([[new[-1]]]),
            past_key_values=past,
            use_cache=True,
            position_ids=torch.tensor([[pos]]),
        )
        past = out.past_key_values
        new.append(int(out.logits[0, -1].argmax()))
    return new


@torch.no_grad()
def greedy_generate(model, prompt, n):
    """transformers `generate(do_sample=False, use_cache=True)` for exactly n tokens, EOS disabled."""
    m = copy.deepcopy(model)
    # generate() fills unset fields of a passed generation config from the model's; clear EOS at the source.
    m.generation_config.eos_token_id = None
    m.config.eos_token_id = None
    reset_rope(m)
    ids = torch.tensor([prompt])
    out = m.generate(
        ids,
        attention_mask=torch.ones_like(ids),
        do_sample=False,
        num_beams=1,
        max_new_tokens=n,
        min_new_tokens=0,
        use_cache=True,
        pad_token_id=PAD,
        eos_token_id=None,
    )
    return out[0, len(prompt):].tolist()


@torch.no_grad()
def reference(model, input_ids=None, plain_model=None):
    model.eval()
    input_ids = input_ids or INPUT_IDS
    logits = forward_logits(model, input_ids)
    reforward = greedy_reforward(model, GREEDY_PROMPT, GREEDY_NEW)
    try:
        loop = greedy_cache_loop(model, GREEDY_PROMPT, GREEDY_NEW)
    except Exception as e:
        print(f"  hand-written KV-cache loop failed ({type(e).__name__}: {e})")
        loop = None
    method = "generate"
    try:
        cached = greedy_generate(model, GREEDY_PROMPT, GREEDY_NEW)
        if len(cached) != GREEDY_NEW:
            print(f"  generate() returned {len(cached)} tokens (EOS not disabled?); using the hand-written KV-cache loop")
            cached, method = loop, "kv-cache loop"
    except Exception as e:  # keep the run going: the hand-written loop is the same computation
        print(f"  generate() failed ({type(e).__name__}: {e}); using the hand-written KV-cache loop")
        cached, method = loop, "kv-cache loop"
    assert cached is not None and len(cached) == GREEDY_NEW, "no KV-cached greedy reference"
    if loop is not None and cached != loop:
        print(f"  WARNING generate {cached} != kv-cache loop {loop}")
    ref = {
        "input_ids": input_ids,
        "logits": logits.tolist(),
        "greedy": {"prompt_ids": GREEDY_PROMPT, "output_ids": reforward},
        "greedy_cached": {"prompt_ids": GREEDY_PROMPT, "output_ids": cached, "method": method},
        "greedy_match": reforward == cached,
        "chars": CHARS,
        "special_tokens": SPECIAL_TOKENS,
        "torch_version": torch.__version__,
        "transformers_version": transformers.__version__,
    }
    first_diff = next((i for i, (a, b) in enumerate(zip(reforward, cached)) if a != b), None)
    print(f"  greedy re-forward {reforward}\n  greedy cached     {cached} ({method}); first difference at {first_diff}")
    if plain_model is not None:
        plain_model.eval()
        d = float((forward_logits(plain_model, input_ids) - logits).abs().max())
        ref["plain_rope_max_abs_diff"] = d
        print(f"  max |logit - plain-RoPE logit| = {d:.3e}")
        assert d > 1e-2, f"scaled RoPE barely changed the logits ({d})"
    return ref


def save(model, out_dir, ref_model=None, input_ids=None, plain_model=None, **kwargs):
    if os.path.exists(out_dir):
        shutil.rmtree(out_dir)
    model.save_pretrained(out_dir, safe_serialization=True, **kwargs)
    tok_json = char_tokenizer_json()
    with open(os.path.join(out_dir, "tokenizer.json"), "w") as f:
        json.dump(tok_json, f, ensure_ascii=False, indent=2)
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w") as f:
        json.dump(TOKENIZER_CONFIG, f, indent=2)
    print(out_dir)
    ref = reference(ref_model if ref_model is not None else model, input_ids, plain_model)
    with open(os.path.join(out_dir, "reference.json"), "w") as f:
        json.dump(ref, f)
    with open(os.path.join(out_dir, "config.json")) as f:
        print(f"  rope: {json.load(f).get('rope_parameters')}")
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

    # RoPE scaling variants: the same weights as tiny-llama / tiny-qwen2, so the only difference from the plain
    # models is the rotary frequencies (and yarn's cos/sin scale). Sizes chosen so every regime is exercised with
    # head_dim 8 and positions < 40: llama3's wavelengths 2π·{1, 10, 100, 1000} fall in its high / medium / low /
    # low bands for original 64 (band edges 16 and 64); yarn's correction range is dims [0, 2] for original 1024
    # (ramp 0, 0.5, 1, 1); dynamic's max_position_embeddings 16 is passed by the 40-token input and the decode.
    rope_ids = rope_input_ids()
    variants = [
        ("tiny-llama-rope-linear", LlamaConfig, llama, 10000.0, dict(max_position_embeddings=64), {"rope_type": "linear", "factor": 4.0}),
        ("tiny-llama-rope-dynamic", LlamaConfig, llama, 10000.0, dict(max_position_embeddings=16), {"rope_type": "dynamic", "factor": 2.0}),
        (
            "tiny-llama-rope-llama3",
            LlamaConfig,
            llama,
            10000.0,
            dict(max_position_embeddings=256),
            {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 64},
        ),
        (
            "tiny-qwen2-rope-yarn",
            Qwen2Config,
            qwen,
            1000000.0,
            dict(max_position_embeddings=4096),
            {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 1024},
        ),
    ]
    for name, cfg_cls, base_model, theta, extra, rope in variants:
        kw = dict(COMMON, **extra)
        if cfg_cls is LlamaConfig:
            kw.update(tie_word_embeddings=False, attention_bias=False, mlp_bias=False)
        else:
            kw.update(tie_word_embeddings=True, use_sliding_window=False)
        if int(transformers.__version__.split(".")[0]) >= 5:
            cfg = cfg_cls(**kw, rope_parameters=dict(rope, rope_theta=theta))
        else:
            cfg = cfg_cls(**kw, rope_theta=theta, rope_scaling=dict(rope))
        plain_kw = dict(kw, max_position_embeddings=64)
        plain_cfg = cfg_cls(**plain_kw, rope_theta=theta)
        model_cls = LlamaForCausalLM if cfg_cls is LlamaConfig else Qwen2ForCausalLM
        model = model_cls(cfg).to(torch.float32)
        plain = model_cls(plain_cfg).to(torch.float32)
        model.load_state_dict(base_model.state_dict())
        plain.load_state_dict(base_model.state_dict())
        rot = model.model.rotary_emb
        assert rot.rope_type == rope["rope_type"], (name, rot.rope_type)
        print(f"{name}: inv_freq {rot.inv_freq.tolist()} attention_scaling {rot.attention_scaling}")
        save(model, os.path.join(args.out, name), input_ids=rope_ids, plain_model=plain)


if __name__ == "__main__":
    main()
