"""PyTorch twin of vlmq's Go reference benchmark (bench/model.go).

Same architecture, initialisation scheme, loss and optimiser; prints one JSON
line with ms/step. Run by cmd/vlmq-bench with /usr/bin/python3.
"""
import argparse
import json
import math
import sys
import time



from torch_kernels import kernels  # noqa: E402 (written beside this script)

def main():
    ap = argparse.ArgumentParser()
    for name, default in [("layers", 4), ("d", 256), ("heads", 4), ("hidden", 1024), ("vocab", 512),
                          ("seq", 256), ("batch", 8), ("warmup", 2), ("steps", 5), ("threads", 1)]:
        ap.add_argument("--" + name, type=int, default=default)
    a = ap.parse_args()
    try:
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
    except ImportError as e:
        print(json.dumps({"error": "import torch: %s" % e}))
        return 0
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = nn.LayerNorm(a.d)
            self.q_proj = nn.Linear(a.d, a.d)
            self.k_proj = nn.Linear(a.d, a.d)
            self.v_proj = nn.Linear(a.d, a.d)
            self.o_proj = nn.Linear(a.d, a.d)
            self.ln_2 = nn.LayerNorm(a.d)
            self.fc1 = nn.Linear(a.d, a.hidden)
            self.fc2 = nn.Linear(a.hidden, a.d)

        def forward(self, x, mask):
            B, T, D = x.shape
            H = a.heads
            h = self.ln_1(x)
            q = self.q_proj(h).view(B, T, H, D // H).transpose(1, 2)
            k = self.k_proj(h).view(B, T, H, D // H).transpose(1, 2)
            v = self.v_proj(h).view(B, T, H, D // H).transpose(1, 2)
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(D // H))
            att = att.masked_fill(mask, float("-inf")).softmax(-1)
            o = (att @ v).transpose(1, 2).reshape(B, T, D)
            x = x + self.o_proj(o)
            return x + self.fc2(F.gelu(self.fc1(self.ln_2(x)), approximate="tanh"))

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(a.vocab, a.d)
            self.pos = nn.Embedding(a.seq, a.d)
            self.blocks = nn.ModuleList([Block() for _ in range(a.layers)])
            self.final_norm = nn.LayerNorm(a.d)
            self.lm = nn.Linear(a.d, a.vocab)
            self.critic = nn.Linear(a.d, a.vocab)
            for m in self.modules():
                if isinstance(m, (nn.Linear, nn.Embedding)):
                    nn.init.normal_(m.weight, std=0.02)
                    if getattr(m, "bias", None) is not None:
                        nn.init.zeros_(m.bias)

        def forward(self, ids, mask):
            T = ids.shape[1]
            x = self.tok(ids) + self.pos(torch.arange(T))
            for b in self.blocks:
                x = b(x, mask)
            h = self.final_norm(x)
            return self.lm(h), self.critic(h)

    model = Model()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.01)
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(0, a.vocab, (a.batch, a.seq), generator=g)
    tgt = torch.randint(0, a.vocab, (a.batch, a.seq), generator=g)
    qt = torch.randn(a.batch, a.seq, generator=g)
    mask = torch.triu(torch.ones(a.seq, a.seq, dtype=torch.bool), diagonal=1)

    def step():
        opt.zero_grad(set_to_none=True)
        logits, q = model(ids, mask)
        ce = F.cross_entropy(logits.reshape(-1, a.vocab), tgt.reshape(-1))
        qa = q.gather(-1, tgt.unsqueeze(-1)).squeeze(-1)
        loss = ce + F.mse_loss(qa, qt)
        loss.backward()
        opt.step()
        return loss.item()

    first = None
    for i in range(a.warmup):
        l = step()
        first = l if first is None else first
    t0, c0 = time.perf_counter(), time.process_time()
    last = None
    for i in range(a.steps):
        last = step()
        first = last if first is None else first
    ms = (time.perf_counter() - t0) * 1000 / max(a.steps, 1)
    cpu_ms = (time.process_time() - c0) * 1000 / max(a.steps, 1)
    print(json.dumps({"ms_per_step": ms, "cpu_ms_per_step": cpu_ms, "first_loss": first, "last_loss": last,
                      "threads": torch.get_num_threads(), "torch": torch.__version__,
                      "kernels": kernels(torch)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
