"""BOS parity fixture and its transformers reference (issue 13). Run from the repository root:

    python3 scripts/bos_reference.py --make        # stdlib only: writes test/fixtures/hf/tiny-llama-bos/
    python3 scripts/bos_reference.py --reference   # GPU machine (torch, transformers): bos-reference.json into $OUT

The fixture: tiny-llama's LlamaForCausalLM weights and vocabulary with a Llama-2 style tokenizer (a TemplateProcessing
post-processor putting <bos> first; add_bos_token true). The reference: tokenizer(text).input_ids, the same without
special tokens, and greedy model.generate on the former. An empty text is [<bos>]: sampling from BOS.
"""
import json, os, shutil, sys

SRC = "test/fixtures/hf/tiny-llama"
OUT = "test/fixtures/hf/tiny-llama-bos"
TEXTS = ["once upon a time", "1+1=", "", "<think>\n"]
NEW = 24


def make():
    os.makedirs(OUT, exist_ok=True)
    for n in ["config.json", "generation_config.json", "model.safetensors"]:
        shutil.copyfile(f"{SRC}/{n}", f"{OUT}/{n}")
    tok = json.load(open(f"{SRC}/tokenizer.json"))
    bos = next(t["id"] for t in tok["added_tokens"] if t["content"] == "<bos>")
    B = {"SpecialToken": {"id": "<bos>", "type_id": 0}}
    A = {"Sequence": {"id": "A", "type_id": 0}}
    tok["post_processor"] = {"type": "TemplateProcessing", "single": [B, A], "pair": [B, A, B, {"Sequence": {"id": "B", "type_id": 1}}],
                             "special_tokens": {"<bos>": {"id": "<bos>", "ids": [bos], "tokens": ["<bos>"]}}}
    json.dump(tok, open(f"{OUT}/tokenizer.json", "w"), ensure_ascii=False, indent=2)
    cfg = json.load(open(f"{SRC}/tokenizer_config.json"))
    cfg.update(add_bos_token=True, add_eos_token=False)
    json.dump(cfg, open(f"{OUT}/tokenizer_config.json", "w"), indent=2)


def reference():
    import torch, transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer
    tok = AutoTokenizer.from_pretrained(OUT)
    model = AutoModelForCausalLM.from_pretrained(OUT, dtype=torch.float32).eval()
    cases = []
    for text in TEXTS:
        ids = tok(text).input_ids
        x = torch.tensor([ids])
        with torch.no_grad():
            out = model.generate(x, attention_mask=torch.ones_like(x), do_sample=False, num_beams=1, max_new_tokens=NEW, pad_token_id=0)
        new = out[0, len(ids):].tolist()
        cases.append({"text": text, "input_ids": ids, "input_ids_no_special": tok(text, add_special_tokens=False).input_ids, "greedy_output_ids": new})
        print(repr(text), cases[-1])
    ref = {"tokenizer_class": type(tok).__name__, "max_new_tokens": NEW, "cases": cases, "torch": torch.__version__, "transformers": transformers.__version__}
    json.dump(ref, open(os.path.join(os.environ.get("OUT", OUT), "bos-reference.json"), "w"), indent=2)


if "--make" in sys.argv:
    make()
if "--reference" in sys.argv:
    reference()
