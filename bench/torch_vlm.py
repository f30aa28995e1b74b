"""PyTorch twin of vlmq's real training step: model.VLM (model/vlm.go) trained
by afsft.Trainer.Step (afsft/trainer.go).

Reads a folder written by bench.WriteRealStep: model/ and target/ (config.json
+ model.safetensors, F32, F16 or BF16) and batch.json (turns as downscaled RGB
pixels and token ids, the trainer config, and per recorded step Go's actor
weights w, TD targets y, data-support sets and results). Prints one JSON line.

  --mode check  for each recorded step: loss parts and gradient norm (before
                clipping) with Go's w and y, the largest difference between
                Go's w, y and the twin's own, then the step's update.
  --mode time   warmup+steps full steps with the twin's own w and y; ms/step.

Run by bench (cmd/vlmq-bench, go test ./bench) with /usr/bin/python3.
"""
import argparse
import base64
import json
import math
import os
import struct
import sys
import time



from torch_kernels import kernels  # noqa: E402 (written beside this script)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--mode", choices=["check", "time"], default="check")
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    try:
        import torch
        import torch.nn.functional as F
    except ImportError as e:
        print(json.dumps({"error": "import torch: %s" % e}))
        return 0
    torch.set_num_threads(a.threads)
    f32 = torch.float32

    # ---- weights --------------------------------------------------------
    def read_safetensors(path):
        try:
            from safetensors.torch import load_file
            return {k: v.to(f32) for k, v in load_file(path).items()}
        except ImportError:
            pass
        # The format by hand: u64 little-endian header length, JSON header
        # {name: {dtype, shape, data_offsets}}, then the raw little-endian data.
        with open(path, "rb") as f:
            data = f.read()
        (n,) = struct.unpack("<Q", data[:8])
        header = json.loads(data[8:8 + n])
        base = 8 + n
        dtypes = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}
        out = {}
        for name, info in header.items():
            if name == "__metadata__":
                continue
            lo, hi = info["data_offsets"]
            raw = bytearray(data[base + lo:base + hi])
            t = torch.frombuffer(raw, dtype=dtypes[info["dtype"]]) if raw else torch.zeros(0, dtype=f32)
            out[name] = t.reshape(info["shape"]).to(f32)
        return out

    def param_names(c):
        def block(p, n):
            names = []
            for i in range(n):
                q = "%s.layers.%d" % (p, i)
                names += [q + ".ln_1.weight", q + ".ln_1.bias"]
                for proj in ("q_proj", "k_proj", "v_proj", "o_proj"):
                    names += [q + ".attn.%s.weight" % proj, q + ".attn.%s.bias" % proj]
                names += [q + ".ln_2.weight", q + ".ln_2.bias"]
                names += [q + ".mlp.fc1.weight", q + ".mlp.fc1.bias", q + ".mlp.fc2.weight", q + ".mlp.fc2.bias"]
            return names + [p + ".final_norm.weight", p + ".final_norm.bias"]
        # model.VLM.Params order: trunk, then heads.
        names = ["vision.patch_embed.weight", "vision.patch_embed.bias", "vision.pos_embed"]
        names += block("vision.encoder", c["vision_layers"])
        names += ["projector.weight", "projector.bias", "embed_tokens.weight", "pos_embed"]
        names += block("decoder", c["layers"])
        return names + ["lm_head.weight", "q1_head.weight", "q1_head.bias", "q2_head.weight", "q2_head.bias"]

    def load_model(folder):
        with open(os.path.join(folder, "config.json")) as f:
            c = json.load(f)
        ts = read_safetensors(os.path.join(folder, "model.safetensors"))
        names = param_names(c)
        if set(names) != set(ts):
            raise SystemExit("tensor names differ from model.VLM's: missing %s, unexpected %s" % (
                sorted(set(names) - set(ts))[:5], sorted(set(ts) - set(names))[:5]))
        return c, {k: ts[k].contiguous() for k in names}

    cfg, P = load_model(os.path.join(a.dir, "model"))
    cfg_t, PT = load_model(os.path.join(a.dir, "target"))
    if cfg_t != cfg:
        raise SystemExit("model and target configs differ")
    for t in P.values():
        t.requires_grad_(True)
    with open(os.path.join(a.dir, "batch.json")) as f:
        batch = json.load(f)
    tc = batch["train"]
    pad = batch["pad_id"]

    # ---- the network (model/vlm.go, nn/) --------------------------------
    S, ps = cfg["image_size"], cfg["patch_size"]
    ng = S // ps
    NP = ng * ng  # visual tokens

    def image_bytes(samples):
        raw = b"".join(base64.b64decode(s["image"]) for s in samples)
        return torch.frombuffer(bytearray(raw), dtype=torch.uint8).reshape(len(samples), S, S, 3)

    def patches(u8):
        # model.Pixels: RGB bytes / 127.5 - 1, row-major (y, x, channel);
        # model.patchify: patches row-major, each laid out (y, x, channel).
        B = u8.shape[0]
        px = u8.to(f32) / 127.5 - 1
        return px.reshape(B, ng, ps, ng, ps, 3).permute(0, 1, 3, 2, 4, 5).reshape(B, NP, ps * ps * 3)

    def linear(x, W, name, bias=True):
        return F.linear(x, W[name + ".weight"], W[name + ".bias"] if bias else None)

    def layer_norm(x, W, name):
        # tensor.LayerNorm: biased variance, eps 1e-5 (nn.NewLayerNorm).
        return F.layer_norm(x, (x.shape[-1],), W[name + ".weight"], W[name + ".bias"], 1e-5)

    def block(x, W, p, H, mask, bias):
        # nn.Block, pre-LN: x += attn(ln_1 x); x += fc2(gelu_tanh(fc1(ln_2 x))).
        B, T, D = x.shape
        Dh = D // H
        h = layer_norm(x, W, p + ".ln_1")
        q = linear(h, W, p + ".attn.q_proj").view(B, T, H, Dh).transpose(1, 2)
        k = linear(h, W, p + ".attn.k_proj").view(B, T, H, Dh).transpose(1, 2)
        v = linear(h, W, p + ".attn.v_proj").view(B, T, H, Dh).transpose(1, 2)
        s = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(Dh))
        if bias is not None:
            s = s + bias
        if mask is not None:
            s = s.masked_fill(mask, float("-inf"))
        o = (s.softmax(-1) @ v).transpose(1, 2).reshape(B, T, D)
        x = x + linear(o, W, p + ".attn.o_proj")
        h = layer_norm(x, W, p + ".ln_2")
        return x + linear(F.gelu(linear(h, W, p + ".mlp.fc1"), approximate="tanh"), W, p + ".mlp.fc2")

    def alibi(H, T):
        # tensor.AttnOpts.ALiBi: -m_h |i-j|, m_h = 2^(-8(h+1)/H), on every
        # query/key pair (visual prefix included).
        m = torch.tensor([2.0 ** (-8.0 * (h + 1) / H) for h in range(H)], dtype=f32)
        i = torch.arange(T)
        d = (i.view(T, 1) - i.view(1, T)).abs().to(f32)
        return -(m.view(H, 1, 1) * d)

    class Inputs:
        """A padded batch: model.Input values, as tensors built once."""

        def __init__(self, samples, first_only):
            self.B = len(samples)
            self.u8 = image_bytes(samples)
            toks = [s["prompt"] if first_only else s["prompt"] + s["reply"] for s in samples]
            tg = [[len(s["prompt"])] if first_only else [len(s["prompt"]) + j for j in range(len(s["reply"]))]
                  for s in samples]
            self.Tmax = max(len(t) for t in toks)
            T = NP + self.Tmax
            self.ids = torch.tensor([t + [pad] * (self.Tmax - len(t)) for t in toks], dtype=torch.long)
            # Rows b*T + P + t - 1: the output that predicts text position t.
            self.rb = torch.tensor([b for b, ts in enumerate(tg) for _ in ts], dtype=torch.long)
            self.rt = torch.tensor([NP + t - 1 for ts in tg for t in ts], dtype=torch.long)
            # Causal with a bidirectional visual prefix, keys past KeyLen
            # (right padding) hidden: tensor.AttnOpts.Allowed.
            kl = torch.tensor([NP + len(t) for t in toks]).view(self.B, 1, 1)
            i = torch.arange(T).view(1, T, 1)
            j = torch.arange(T).view(1, 1, T)
            ok = (j < kl) & ((j <= i) | ((i < NP) & (j < NP)))
            self.mask = (~ok).unsqueeze(1)  # [B, 1, T, T]
            self.bias = alibi(cfg["heads"], T) if cfg.get("alibi") else None

    def forward(W, inp):
        h = linear(patches(inp.u8), W, "vision.patch_embed") + W["vision.pos_embed"]
        for l in range(cfg["vision_layers"]):
            h = block(h, W, "vision.encoder.layers.%d" % l, cfg["vision_heads"], None, None)
        vis = linear(layer_norm(h, W, "vision.encoder.final_norm"), W, "projector")
        x = vis
        if inp.Tmax > 0:
            x = torch.cat([vis, F.embedding(inp.ids, W["embed_tokens.weight"])], 1)
        x = x + W["pos_embed"][:x.shape[1]]
        for l in range(cfg["layers"]):
            x = block(x, W, "decoder.layers.%d" % l, cfg["heads"], inp.mask, inp.bias)
        hs = layer_norm(x, W, "decoder.final_norm")[inp.rb, inp.rt]
        return (linear(hs, W, "lm_head", bias=False), linear(hs, W, "q1_head"), linear(hs, W, "q2_head"))

    samples, nexts = batch["samples"], batch["nexts"] or []
    main_in = Inputs(samples, False)
    next_in = Inputs(nexts, True) if nexts else None
    actions = torch.tensor([t for s in samples for t in s["reply"]], dtype=torch.long)
    n = actions.shape[0]
    V = cfg["vocab"]

    # ---- TD targets and actor weights (afsft.Trainer.Step/tdTargets) -----
    support = bool(tc.get("data_support"))
    trace0 = batch["trace"][0]
    allowed, first = trace0.get("allowed"), trace0.get("first")

    def set_mask(sets):
        """[rows, V] bool for the support sets, and which rows have a set."""
        m = torch.zeros(len(sets), V, dtype=torch.bool)
        has = torch.zeros(len(sets), dtype=torch.bool)
        for r, s in enumerate(sets):
            if s:
                m[r, s] = True
                has[r] = True
        return m, has

    # Row r (reply token i of sample bi) reads the set before that token,
    # allowed[r + bi]: each reply has len+1 sets.
    row_sets, row_sample, row_pos = [], [], []
    r = 0
    for bi, s in enumerate(samples):
        for j in range(len(s["reply"])):
            row_sets.append(allowed[r + bi] if support else None)
            row_sample.append(bi)
            row_pos.append(j)
            r += 1
    row_mask, row_has = set_mask(row_sets)
    forced = torch.tensor([bool(s) and len(s) == 1 for s in row_sets])
    choice = [bool(s) and len(s) > 1 for s in row_sets]
    first_mask, first_has = set_mask([first if support else None] * len(nexts))

    def policy_value(logits, q1, q2, mask, has):
        # afsft.value: sum over the set of pi Q / sum over the set of pi
        # (pi = softmax of the online logits in float64, Q = min(Q1, Q2)),
        # equal weights if every pi underflowed; whole vocabulary without set.
        pi = logits.double().softmax(-1)
        mq = torch.minimum(q1, q2).double()
        v_all = (pi * mq).sum(-1)
        mk = mask.double()
        z = (pi * mk).sum(-1)
        v_set = (pi * mk * mq).sum(-1) / torch.where(z > 0, z, torch.ones_like(z))
        v_eq = (mk * mq).sum(-1) / mk.sum(-1).clamp(min=1)
        return torch.where(has, torch.where(z > 0, v_set, v_eq), v_all)

    def target_value(logits, q1, q2, mask, has):
        # afsft rowValue: the policy's V, or with target_value "max" the
        # best of the set's min(Q1, Q2).
        v = policy_value(logits, q1, q2, mask, has)
        if tc.get("target_value") == "max":
            mq = torch.minimum(q1, q2).double().masked_fill(~mask, float("-inf")).max(-1).values
            v = torch.where(has, mq, v)
        return v

    lam, clam = tc["lambda"], tc["choice_lambda"]
    need_tgt = lam < 1 or (support and clam < 1)
    scale = tc.get("reward_scale") or 1.0

    def td_targets(on):
        """y for every reply token, as afsft tdTargets (no grad)."""
        tgt = forward(PT, main_in) if need_tgt else None
        boot = None
        if next_in is not None:
            tn = forward(PT, next_in)
            onn = forward(P, next_in)
            boot = target_value(onn[0], tn[1], tn[2], first_mask, first_has).tolist()
        inside = target_value(on[0], tgt[1], tgt[2], row_mask, row_has).tolist() if need_tgt else None
        y = []
        r = 0
        for s in samples:
            l = len(s["reply"])
            ys = [0.0] * l
            ys[l - 1] = s["reward"] * scale
            if s["next"] >= 0:
                ys[l - 1] += tc["gamma"] * boot[s["next"]]
            for j in range(l - 2, -1, -1):
                lm = clam if choice[r + j + 1] else lam
                ys[j] = ys[j + 1]
                if lm < 1:
                    ys[j] = (1 - lm) * inside[r + j + 1] + lm * ys[j + 1]
            y += ys
            r += l
        return torch.tensor(y, dtype=f32)

    def actor_weights(on, steps):
        if steps < tc["sft_warmup"] or tc["mode"] == "sft":
            return torch.ones(n, dtype=f32)
        q1, q2 = on[1], on[2]
        qa = torch.minimum(q1.gather(1, actions.view(-1, 1)), q2.gather(1, actions.view(-1, 1))).view(-1).double()
        adv = qa - policy_value(on[0], q1, q2, row_mask, row_has)
        if tc["mode"] == "exp":
            return torch.clamp(torch.exp(tc["beta"] * adv), max=tc["max_weight"]).to(f32)
        return ((adv > 0) | forced).to(f32)

    # ---- the step -------------------------------------------------------
    params = list(P.values())
    # optim.AdamW = torch.optim.AdamW (decoupled decay, bias-corrected moments).
    opt = torch.optim.AdamW(params, lr=tc["lr"], betas=(0.9, 0.999), eps=1e-8, weight_decay=tc["weight_decay"])
    no_critic = tc["critic_coef"] == 0 and tc["cql"] == 0
    delta = tc["huber_delta"]

    def step(steps, given=None):
        on = forward(P, main_in)
        det = tuple(t.detach() for t in on)
        with torch.no_grad():
            y = None if no_critic else td_targets(det)
            w = actor_weights(det, steps)
        res = {}
        if given is not None:
            gy = torch.tensor(given["y"], dtype=f32) if given.get("y") is not None else None
            gw = torch.tensor(given["w"], dtype=f32)
            res["y_max_diff"] = 0.0 if y is None else float((y - gy).abs().max())
            res["w_max_diff"] = float((w - gw).abs().max())
            y, w = gy, gw
        loss = None
        critic_loss = actor_loss = 0.0
        if not no_critic:
            critic = (F.huber_loss(on[1].gather(1, actions.view(-1, 1)).view(-1), y, reduction="mean", delta=delta) +
                      F.huber_loss(on[2].gather(1, actions.view(-1, 1)).view(-1), y, reduction="mean", delta=delta))
            critic_loss = critic.item()
            if tc["cql"] > 0:
                # logsumexp_a Q - Q(a_data): the mean cross-entropy of Q as logits.
                critic = critic + tc["cql"] * (F.cross_entropy(on[1], actions) + F.cross_entropy(on[2], actions))
            loss = tc["critic_coef"] * critic
        if steps >= tc["actor_warmup"] or no_critic:
            # tensor.CrossEntropy with weights: sum_j w_j nll_j / n (n = all tokens).
            actor = (w * F.cross_entropy(on[0], actions, reduction="none")).sum() / n
            actor_loss = actor.item()
            loss = actor if loss is None else loss + actor
        opt.zero_grad(set_to_none=False)
        loss.backward()
        with torch.no_grad():
            gn = math.sqrt(sum(float(p.grad.double().pow(2).sum()) for p in params if p.grad is not None))
            clip = tc["clip_norm"]
            if clip > 0 and gn > clip:  # optim.ClipGradNorm
                c = clip / (gn + 1e-6)
                for p in params:
                    if p.grad is not None:
                        p.grad.mul_(c)
        opt.step()
        with torch.no_grad():  # optim.Polyak: tgt += tau (online - tgt)
            tau = tc["tau"]
            for k, p in P.items():
                PT[k].add_(tau * (p - PT[k]))
        res.update({"actor_loss": actor_loss, "critic_loss": critic_loss, "loss": loss.item(), "grad_norm": gn})
        return res

    steps0 = trace0["steps"]
    if a.mode == "check":
        out = [step(t["steps"], given=t) for t in batch["trace"]]
        print(json.dumps({"check": out, "threads": torch.get_num_threads(), "torch": torch.__version__,
                      "kernels": kernels(torch)}))
        return 0
    first_loss = None
    k = steps0
    for i in range(a.warmup):
        r = step(k)
        k += 1
        first_loss = r["loss"] if first_loss is None else first_loss
    t0, c0 = time.perf_counter(), time.process_time()
    last = None
    for i in range(a.steps):
        last = step(k)["loss"]
        k += 1
        first_loss = last if first_loss is None else first_loss
    ms = (time.perf_counter() - t0) * 1000 / max(a.steps, 1)
    cpu_ms = (time.process_time() - c0) * 1000 / max(a.steps, 1)
    print(json.dumps({"ms_per_step": ms, "cpu_ms_per_step": cpu_ms, "first_loss": first_loss, "last_loss": last,
                      "threads": torch.get_num_threads(), "torch": torch.__version__,
                      "kernels": kernels(torch)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
