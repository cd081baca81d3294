"""PyTorch side of `npm run bench:train -- --vs-pytorch`: the training steps kadapter takes, with the
same math — the adapter and its head, or the whole base and both heads (multi-task) — the same
initial weights (a safetensors file under kadapter's names), the same batches read from the same
float16 feature cache (or the same token ids), AdamW with decoupled decay, clipping by global
norm and the linear warm-up/decay schedule. One run per thread count asked; prints one JSON line.

    train_torch.py SPEC.json THREADS(,THREADS…)
"""
import json
import math
import re
import resource
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.numpy import load_file

# kadapter's rule (src/kadapter/optim.ts): biases and LayerNorms do not decay.
NO_DECAY = re.compile(r"(\.(b|beta|gamma|bias)|LayerNorm\.weight)$")


def scheduled_lr(o, step, total):
    warm = max(1, round(o["warmupRatio"] * total))
    if step < warm:
        return o["lr"] * (step + 1) / warm
    return o["lr"] * max(0.0, (total - step) / max(1, total - warm))


def load_params(file):
    """kadapter's tensors by name; dense weights ([in, out] there) stored as PyTorch's [out, in]."""
    out = {}
    for name, a in load_file(file).items():
        t = torch.from_numpy(a.copy())
        if name.endswith(".w"):
            t = t.t().contiguous()
        out[name] = torch.nn.Parameter(t)
    return out


def linear(x, p, name):
    return F.linear(x, p[f"{name}.w"], p[f"{name}.b"])


def layer_norm(x, p, name, eps):
    return F.layer_norm(x, (x.shape[-1],), p[f"{name}.gamma"], p[f"{name}.beta"], eps)


def transformer_layer(x, p, pre, heads, bias, eps):
    B, T, D = x.shape
    split = lambda t: t.view(B, T, heads, D // heads).transpose(1, 2)  # [B, h, T, dh]
    q, k, v = (split(linear(x, p, f"{pre}.{n}")) for n in ("query", "key", "value"))
    ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=bias).transpose(1, 2).reshape(B, T, D)
    a = layer_norm(linear(ctx, p, f"{pre}.attnOut") + x, p, f"{pre}.attnNorm", eps)
    f = linear(F.gelu(linear(a, p, f"{pre}.ffnIn")), p, f"{pre}.ffnOut")
    return layer_norm(f + a, p, f"{pre}.ffnNorm", eps)


def adapter_forward(p, cfg, states, mask):
    bias = ((1.0 - mask.float()) * -1e9)[:, None, None, :]
    heads = max(1, cfg["size"] // 64)
    prev = None
    for k, layer in enumerate(cfg["readLayers"]):
        h = states[layer]
        r = h if prev is None else h + prev
        x = r if cfg["chain"] == "sum" else torch.cat([h, torch.zeros_like(h) if prev is None else prev], -1)
        z = linear(x, p, f"adapter.layers.{k}.down")
        for i in range(cfg["layers"]):
            z = transformer_layer(z, p, f"adapter.layers.{k}.layers.{i}", heads, bias, cfg["layerNormEps"])
        prev = r + linear(z, p, f"adapter.layers.{k}.up")
    return prev


def head_loss(p, pre, task, f, exs):
    """kadapter's heads.ts: relation logits pooled at the markers, or head scores over candidates."""
    B, T, _ = f.shape
    if task == "relation":
        rows = torch.arange(B)
        subj = torch.tensor([e["subj"] for e in exs])
        obj = torch.tensor([e["obj"] for e in exs])
        logits = linear(torch.cat([f[rows, subj], f[rows, obj]], -1), p, f"{pre}.out")
        return F.cross_entropy(logits, torch.tensor([e["label"] for e in exs]))
    q = linear(f, p, f"{pre}.query")
    k = linear(f, p, f"{pre}.key")
    cand = torch.zeros(B, T)
    y = torch.full((B, T), -1, dtype=torch.long)
    for b, e in enumerate(exs):
        cand[b, 0] = 1
        cand[b, e["firsts"]] = 1
        y[b, e["firsts"]] = torch.tensor(e["heads"])
    scores = q @ k.transpose(1, 2) / math.sqrt(q.shape[-1]) + ((1.0 - cand) * -1e9)[:, None, :]
    return F.cross_entropy(scores.reshape(B * T, T), y.reshape(-1), ignore_index=-1)


class Cache:
    """The float16 feature cache as src/kadapter/features.ts writes it, read the way it reads it."""

    def __init__(self, c):
        self.dir, self.layers, self.H = c["dir"], c["layers"], c["hidden"]
        self.shards = {}

    def shard(self, i):
        if i not in self.shards:
            name = f"shard-{i:05d}"
            data = np.fromfile(f"{self.dir}/{name}.bin", dtype=np.float16)
            exs = [json.loads(l) for l in open(f"{self.dir}/{name}.jsonl") if l.strip()]
            self.shards[i] = (data, exs)
        return self.shards[i]

    def batch(self, shard, indices):
        data, all_exs = self.shard(shard)
        exs = [all_exs[i] for i in indices]
        B, T, H = len(exs), max(e["length"] for e in exs), self.H
        states = {}
        for li, layer in enumerate(self.layers):
            buf = np.zeros((B, T, H), dtype=np.float32)
            for b, e in enumerate(exs):
                at = e["offset"] + li * e["length"] * H
                buf[b, : e["length"]] = data[at : at + e["length"] * H].reshape(e["length"], H)
            states[layer] = torch.from_numpy(buf)
        mask = torch.zeros(B, T, dtype=torch.int32)
        for b, e in enumerate(exs):
            mask[b, : e["length"]] = 1
        return states, mask, exs


def padded(exs, pad_id):
    T = max(len(e["ids"]) for e in exs)
    ids = torch.full((len(exs), T), pad_id, dtype=torch.long)
    mask = torch.zeros(len(exs), T, dtype=torch.long)
    for b, e in enumerate(exs):
        ids[b, : len(e["ids"])] = torch.tensor(e["ids"])
        mask[b, : len(e["ids"])] = 1
    return ids, mask


def run(spec, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    p = load_params(spec["init"])
    if spec["kind"] == "multitask":
        from transformers import BertModel

        base = BertModel.from_pretrained(spec["baseModel"], add_pooling_layer=False, attn_implementation="sdpa")
        base.eval()  # no dropout: kadapter's encoder has none
        for n, t in base.named_parameters():
            p[f"base.{n}"] = t
        steps = spec["batches"]

        def loss_of(step):
            ids, mask = padded(step["examples"], spec["padId"])
            h = base(input_ids=ids, attention_mask=mask).last_hidden_state
            return head_loss(p, step["task"], step["task"], h, step["examples"]), len(step["examples"])

    else:
        cache = Cache(spec["cache"])
        steps = spec["plan"]

        def loss_of(step):
            states, mask, exs = cache.batch(step["shard"], step["indices"])
            a = adapter_forward(p, spec["adapter"], states, mask)
            f = linear(torch.cat([states[spec["lastLayer"]], a], -1), p, "head.fuse")
            return head_loss(p, "head", spec["task"], f, exs), len(exs)

    o = spec["optim"]
    params = list(p.values())
    groups = [
        {"params": [t for n, t in p.items() if not NO_DECAY.search(n)], "weight_decay": o["weightDecay"]},
        {"params": [t for n, t in p.items() if NO_DECAY.search(n)], "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"])
    total, warmup = len(steps), spec["warmup"]
    losses, norms, times, cpu, examples = [], [], [], 0.0, 0
    for s, step in enumerate(steps):
        t0, c0 = time.perf_counter(), time.process_time()
        loss, n = loss_of(step)
        opt.zero_grad(set_to_none=True)  # a head this batch does not use gets no gradient, no update
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_([t for t in params if t.grad is not None], o["clipNorm"])
        for g in opt.param_groups:
            g["lr"] = scheduled_lr(o, s, total)
        # kadapter counts AdamW's steps for the bias corrections once for all parameters, PyTorch
        # per parameter: they part where a head sits out the other task's batches (multi-task).
        # Its count is set to kadapter's, so that the two take the same steps.
        for t in params:
            if t.grad is None:
                continue
            state = opt.state[t]
            if not state:
                state.update(exp_avg=torch.zeros_like(t), exp_avg_sq=torch.zeros_like(t))
            state["step"] = torch.tensor(float(s))
        opt.step()
        losses.append(loss.item())
        norms.append(float(norm))
        if s >= warmup:
            times.append(time.perf_counter() - t0)
            cpu += time.process_time() - c0
            examples += n
    return {
        "threads": threads,
        "steps": len(times),
        "examples": examples,
        "seconds": sum(times),
        "examples_per_s": examples / sum(times),
        "cores_busy": cpu / sum(times),
        "losses": losses,
        "grad_norms": norms,
    }


def main(spec_file, threads):
    spec = json.load(open(spec_file))
    out = {"torch": torch.__version__, "runs": [run(spec, n) for n in threads]}
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1], [int(t) for t in sys.argv[2].split(",")])
