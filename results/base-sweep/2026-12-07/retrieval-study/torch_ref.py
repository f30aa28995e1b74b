"""PyTorch reference: the small preset's decoder (learned positions, pre-LN,
GELU, no image) trained on batches dumped by pretrain's TestDump, with the
Go trainer's AdamW, clip and schedule. Prints the mean loss per 100 steps
and the share of answers whose first token is argmax-right (teacher forced).
"""
import json, math, sys, time
import torch, torch.nn as nn, torch.nn.functional as F

import os
path, steps = sys.argv[1], int(sys.argv[2])
lr, tie = float(sys.argv[3]), len(sys.argv) > 4 and sys.argv[4] == "tie"
ROPE = float(os.environ.get("ROPE", "0"))  # rotary base; 0 = learned positions only
torch.manual_seed(1)
torch.set_num_threads(1)
D, L, H, MLP, MAXT = 160, 4, 4, 512, 320

class Block(nn.Module):
    def __init__(s):
        super().__init__()
        s.ln1, s.ln2 = nn.LayerNorm(D), nn.LayerNorm(D)
        s.qkv, s.o = nn.Linear(D, 3 * D), nn.Linear(D, D)
        s.fc1, s.fc2 = nn.Linear(D, MLP), nn.Linear(MLP, D)
    def forward(s, x):
        B, T, _ = x.shape
        q, k, v = s.qkv(s.ln1(x)).split(D, -1)
        f = lambda t: t.view(B, T, H, D // H).transpose(1, 2)
        q, k = f(q), f(k)
        if ROPE:
            q, k = rope(q), rope(k)
        a = None
        if a is None:
            att = (q @ k.transpose(-1, -2)) / math.sqrt(D // H)
            att = att.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), 1), float("-inf"))
            a = att.softmax(-1) @ f(v)
        x = x + s.o(a.transpose(1, 2).reshape(B, T, D))
        return x + s.fc2(F.gelu(s.fc1(s.ln2(x)), approximate="tanh"))

def rope(x):
    T, dh = x.shape[-2], x.shape[-1]
    half = dh // 2
    inv = 1.0 / (ROPE ** (torch.arange(half) * 2 / dh))
    ang = torch.arange(T)[:, None] * inv[None]
    c, s_ = ang.cos(), ang.sin()
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * c - x2 * s_, x2 * c + x1 * s_], -1)

lines = open(path).read().splitlines()
V = json.loads(lines[0])["vocab"]
emb, pos = nn.Embedding(V, D), nn.Parameter(torch.randn(MAXT, D) * 0.02)
blocks = nn.ModuleList(Block() for _ in range(L))
lnf, head = nn.LayerNorm(D), nn.Linear(D, V, bias=False)
for mod in [emb, head, *blocks]:
    for p in mod.parameters():
        if p.dim() == 2:
            nn.init.normal_(p, std=0.02)
        else:
            nn.init.zeros_(p)
for b in blocks:
    for ln in (b.ln1, b.ln2):
        nn.init.ones_(ln.weight); nn.init.zeros_(ln.bias)
    for l in (b.o, b.fc2):
        nn.init.normal_(l.weight, std=0.02 / math.sqrt(2 * L))
if tie:
    head.weight = emb.weight
params = list({id(p): p for p in [*emb.parameters(), pos, *blocks.parameters(), *lnf.parameters(), *head.parameters()]}.values())
opt = torch.optim.AdamW(params, lr=lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)

def factor(step):
    f = 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / steps))
    w = max(1, steps // 20)
    return f * (step + 1) / w if step < w else f

t0, acc, n, right, tot, bylen = time.time(), 0.0, 0, 0, 0, {}
for step in range(steps):
    batch = json.loads(lines[step])["batch"]
    T = max(len(t) for t, _ in batch)
    ids = torch.zeros(len(batch), T, dtype=torch.long)
    rows, cols, tg, first = [], [], [], []
    for i, (toks, targets) in enumerate(batch):
        ids[i, :len(toks)] = torch.tensor(toks)
        for j, t in enumerate(targets):
            first.append(j == 0 or targets[j - 1] != t - 1)
            rows.append(i); cols.append(t - 1); tg.append(toks[t])
    x = emb(ids) + (0 if ROPE else pos[:T])
    for b in blocks:
        x = b(x)
    logits = head(lnf(x))[rows, cols]
    tg = torch.tensor(tg)
    loss = F.cross_entropy(logits, tg)
    for g in opt.param_groups:
        g["lr"] = lr * factor(step)
    opt.zero_grad(); loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    acc += loss.item(); n += 1
    ok = (logits.argmax(-1) == tg).tolist()
    groups = []  # an answer is right when all its tokens are: [right, tokens]
    for j, f in enumerate(first):
        if f:
            groups.append([True, 0])
        groups[-1][0] = groups[-1][0] and ok[j]; groups[-1][1] += 1
    right += sum(g[0] for g in groups); tot += len(groups)
    for g in groups:
        bylen.setdefault(g[1], [0, 0]); bylen[g[1]][0] += g[0]; bylen[g[1]][1] += 1
    if (step + 1) % 100 == 0:
        print(f"step {step+1} loss {acc/n:.3f} answer-acc {right/tot:.2f} by answer tokens {' '.join(f'{k}:{v[0]/v[1]:.2f}' for k, v in sorted(bylen.items()))} ({time.time()-t0:.0f} s)", flush=True)
        acc, n, right, tot, bylen = 0.0, 0, 0, 0, {}
