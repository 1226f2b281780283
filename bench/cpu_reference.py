#!/usr/bin/python3
"""PyTorch CPU reference for bench/cpu.ts: the same Llama/Qwen2 decoder math as src/model/llama.ts, hand-written
(Debian has no `transformers`), timed on the same benchmark shapes. Prints one JSON object on stdout.

    /usr/bin/python3 bench/cpu_reference.py --config '{"hiddenSize":128,...}' --gen 1,8,64 --new-tokens 256 \
        --train 64x128,64x512 --reps 5 --threads 2

--config takes our ModelConfig fields (camelCase) or Hugging Face config.json fields (snake_case), as JSON text or a
file path. Times are medians over --reps runs after one warm-up run (reported apart as `firstMs`).

OpenBLAS 0.3.21 (Debian bookworm) does not recognise recent Xeons (family 6 model 207 here) and falls back to its
generic "Prescott" SSE3 kernels (~50 GFLOP/s on a 2048² sgemm instead of ~200): on a CPU with AVX-512 we set
OPENBLAS_CORETYPE=SkylakeX unless the caller chose one. It must be set before torch loads libblas.so.3.
OpenBLAS's pthreads and torch's OpenMP threads both spin-wait after their work: on 2 cores they steal each other's
time (a decode loop ran 8x slower), so OMP_WAIT_POLICY=PASSIVE is the default here too.
"""
import argparse
import json
import math
import os
import platform
import time

if "OPENBLAS_CORETYPE" not in os.environ:
    try:
        with open("/proc/cpuinfo") as f:
            if " avx512f " in f.read():
                os.environ["OPENBLAS_CORETYPE"] = "SkylakeX"
    except OSError:
        pass

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402  (after OPENBLAS_CORETYPE)
import torch.nn.functional as F  # noqa: E402


def read_config(text):
    raw = json.load(open(text)) if os.path.exists(text) else json.loads(text)
    pick = lambda camel, snake, default=None: raw.get(camel, raw.get(snake, default))  # noqa: E731
    c = dict(
        vocab=pick("vocabSize", "vocab_size"),
        d=pick("hiddenSize", "hidden_size"),
        ff=pick("intermediateSize", "intermediate_size"),
        layers=pick("numHiddenLayers", "num_hidden_layers"),
        heads=pick("numAttentionHeads", "num_attention_heads"),
        eps=pick("rmsNormEps", "rms_norm_eps", 1e-6),
        theta=pick("ropeTheta", "rope_theta", 10000.0),
        tie=pick("tieWordEmbeddings", "tie_word_embeddings", False),
    )
    c["kv_heads"] = pick("numKeyValueHeads", "num_key_value_heads", c["heads"])
    c["head_dim"] = pick("headDim", "head_dim", c["d"] // c["heads"])
    model_type = pick("modelType", "model_type", "llama")
    c["bias"] = model_type == "qwen2" or bool(pick("attentionBias", "attention_bias", False))
    return c


class RMSNorm(torch.nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class Layer(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        D, N, K, H = c["d"], c["heads"], c["kv_heads"], c["head_dim"]
        self.N, self.K, self.H = N, K, H
        self.input_norm = RMSNorm(D, c["eps"])
        self.q = torch.nn.Linear(D, N * H, bias=c["bias"])
        self.k = torch.nn.Linear(D, K * H, bias=c["bias"])
        self.v = torch.nn.Linear(D, K * H, bias=c["bias"])
        self.o = torch.nn.Linear(N * H, D, bias=False)
        self.post_norm = RMSNorm(D, c["eps"])
        self.gate = torch.nn.Linear(D, c["ff"], bias=False)
        self.up = torch.nn.Linear(D, c["ff"], bias=False)
        self.down = torch.nn.Linear(c["ff"], D, bias=False)

    def forward(self, x, cos, sin, mask, cache=None, start=0):
        """x [B, T, D]; cos/sin [T, H]; mask [T, S] bool or None; cache (k, v) [B, K, S_max, H] written at start."""
        B, T, _ = x.shape
        h = self.input_norm(x)
        q = self.q(h).view(B, T, self.N, self.H).transpose(1, 2)  # [B, N, T, H]
        k = self.k(h).view(B, T, self.K, self.H).transpose(1, 2)  # [B, K, T, H]
        v = self.v(h).view(B, T, self.K, self.H).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if cache is not None:
            cache[0][:, :, start : start + T] = k
            cache[1][:, :, start : start + T] = v
            k, v = cache[0][:, :, : start + T], cache[1][:, :, : start + T]
        # GQA without repeat_kv: the G = N/K query heads sharing a key/value head are rows of one matmul.
        S = k.shape[2]
        qg = q.reshape(B, self.K, (self.N // self.K) * T, self.H)
        scores = (qg @ k.transpose(-1, -2)).view(B, self.K, self.N // self.K, T, S) / math.sqrt(self.H)
        if mask is not None:
            scores = scores.masked_fill(~mask, -1e9)
        probs = scores.softmax(-1).view(B, self.K, (self.N // self.K) * T, S)
        att = (probs @ v).view(B, self.N, T, self.H).transpose(1, 2).reshape(B, T, self.N * self.H)
        x = x + self.o(att)
        h2 = self.post_norm(x)
        return x + self.down(F.silu(self.gate(h2)) * self.up(h2))


class Llama(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embed = torch.nn.Embedding(c["vocab"], c["d"])
        self.layers = torch.nn.ModuleList(Layer(c) for _ in range(c["layers"]))
        self.norm = RMSNorm(c["d"], c["eps"])
        self.lm_head = None if c["tie"] else torch.nn.Linear(c["d"], c["vocab"], bias=False)
        for p in self.parameters():
            if p.dim() > 1:
                torch.nn.init.normal_(p, std=0.02)
        H = c["head_dim"]
        self.inv_freq = 1.0 / (c["theta"] ** (torch.arange(0, H, 2, dtype=torch.float32) / H))

    def rope(self, start, T):
        ang = torch.outer(torch.arange(start, start + T, dtype=torch.float32), self.inv_freq)
        emb = torch.cat((ang, ang), dim=-1)  # HF layout: [T, H]
        return emb.cos(), emb.sin()

    def forward(self, tokens, caches=None, start=0):
        T = tokens.shape[1]
        cos, sin = self.rope(start, T)
        S = start + T
        mask = None if T == 1 else torch.ones(T, S, dtype=torch.bool).tril(start)
        x = self.embed(tokens)
        for i, layer in enumerate(self.layers):
            x = layer(x, cos, sin, mask, None if caches is None else caches[i], start)
        h = self.norm(x)
        return self.lm_head(h) if self.lm_head is not None else h @ self.embed.weight.t()


def median_ms(fn, reps):
    t0 = time.perf_counter()
    fn()
    first = (time.perf_counter() - t0) * 1000
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return times[len(times) // 2], first


@torch.inference_mode()
def generate(model, B, prompt, new_tokens):
    """KV-cache sampling at temperature 1; EOS ignored: exactly `new_tokens` per row. Returns ids and log-probs."""
    c = model.c
    S = len(prompt) + new_tokens
    caches = [
        (torch.zeros(B, c["kv_heads"], S, c["head_dim"]), torch.zeros(B, c["kv_heads"], S, c["head_dim"]))
        for _ in range(c["layers"])
    ]
    tok = torch.tensor([prompt] * B)
    logits = model(tok, caches, 0)[:, -1]
    pos = len(prompt)
    out, lps = [], []
    for t in range(new_tokens):
        lsm = logits.log_softmax(-1)
        nxt = torch.multinomial(lsm.exp(), 1)  # [B, 1]
        out.append(nxt)
        lps.append(lsm.gather(-1, nxt))
        if t == new_tokens - 1:
            break
        logits = model(nxt, caches, pos)[:, -1]
        pos += 1
    return torch.cat(out, 1), torch.cat(lps, 1)


def train_step(model, opt, tokens, targets, mask, weights, adv, eps=0.2):
    """GRPO with μ = 1, β = 0 (as src/train/grpo.ts defaults): ratio = exp(logp − sg(logp)), clipped surrogate."""
    logits = model(tokens)
    lsm = logits.log_softmax(-1)
    logp = lsm.gather(-1, targets.unsqueeze(-1)).squeeze(-1)  # [B, T]
    with torch.no_grad():
        entropy = -(lsm.exp() * lsm).sum(-1).mul(mask).sum()  # logged metric, as thinkrl
    ratio = torch.exp(logp - logp.detach())
    A = adv.unsqueeze(1)
    per_token = -torch.minimum(ratio * A, ratio.clamp(1 - eps, 1 + eps) * A)
    loss = (per_token * weights).sum()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    return loss.item(), entropy.item()


def score(model, tokens, targets):
    """Per-token log-probs and entropies without gradients (thinkrl's CausalLM.sequenceLogprobs)."""
    with torch.no_grad():
        lsm = model(tokens).log_softmax(-1)
        logp = lsm.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
        entropy = -(lsm.exp() * lsm).sum(-1)
    return logp, entropy


def blas_info():
    info = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OMP_WAIT_POLICY")}
    try:
        import ctypes

        for line in open("/proc/self/maps"):
            if "openblas" in line and line.rstrip().endswith(".so"):
                lib = ctypes.CDLL(line.split()[-1])
                lib.openblas_get_config.restype = ctypes.c_char_p
                info["openblas"] = lib.openblas_get_config().decode()
                info["openblasThreads"] = lib.openblas_get_num_threads()
                break
    except Exception as e:  # informational only
        info["error"] = str(e)
    return info


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True, help="ModelConfig / config.json as JSON text or a file path")
    ap.add_argument("--gen", default="1,8,64", help="generation batch sizes")
    ap.add_argument("--new-tokens", type=int, default=256)
    ap.add_argument("--prompt", default="1,5,6,7,8", help="prompt token ids")
    ap.add_argument("--train", default="64x128", help="train shapes BxT, comma separated")
    ap.add_argument("--prompt-tokens", type=int, default=8, help="leading train positions outside the loss")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--matmul", default="", help="extra sgemm shapes MxKxN to time, comma separated")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    c = read_config(args.config)
    model = Llama(c)
    res = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas": blas_info(),
        "python": platform.python_version(),
        "params": sum(p.numel() for p in model.parameters()),
        "gen": [],
        "train": [],
        "score": [],
        "matmul": [],
    }
    prompt = [int(x) for x in args.prompt.split(",")]
    for B in [int(x) for x in args.gen.split(",") if x]:
        ms, first = median_ms(lambda: generate(model, B, prompt, args.new_tokens), max(1, args.reps // 2))
        res["gen"].append({"B": B, "newTokens": args.new_tokens, "ms": ms, "firstMs": first})
    for shape in [s for s in args.train.split(",") if s]:
        B, T = (int(x) for x in shape.split("x"))
        g = torch.Generator().manual_seed(1)
        tokens = torch.randint(0, c["vocab"], (B, T), generator=g)
        targets = torch.randint(0, c["vocab"], (B, T), generator=g)
        mask = torch.zeros(B, T)
        mask[:, args.prompt_tokens :] = 1
        weights = mask / mask.sum(1, keepdim=True) / B  # lossType "grpo": mean over tokens, then over sequences
        adv = torch.randn(B, generator=g)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-5, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.0)
        ms, first = median_ms(lambda: train_step(model, opt, tokens, targets, mask, weights, adv), args.reps)
        res["train"].append({"B": B, "T": T, "ms": ms, "firstMs": first})
        ms, first = median_ms(lambda: score(model, tokens, targets), args.reps)
        res["score"].append({"B": B, "T": T, "ms": ms, "firstMs": first})
    for shape in [s for s in args.matmul.split(",") if s]:
        M, K, N = (int(x) for x in shape.split("x"))
        a, b = torch.randn(M, K), torch.randn(K, N)
        reps = max(5, min(200, int(2e9 / (2 * M * K * N))))
        ms, _ = median_ms(lambda: a @ b, reps)
        res["matmul"].append({"shape": shape, "ms": ms, "gflops": 2 * M * K * N / ms / 1e6})
    print(json.dumps(res))


if __name__ == "__main__":
    main()
