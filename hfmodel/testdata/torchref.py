# Shared pieces of the float64 PyTorch reference (reference.py): reading
# a checkpoint by its Hugging Face tensor names, and the blocks the
# families' forward passes (hfmodel/<family>/reference.py) are written
# with, from the published architectures rather than the Go code.
import json, math, struct

import numpy as np
import torch
import torch.nn.functional as F


def load(d):
    raw = open(d + "/model.safetensors", "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    hdr = json.loads(raw[8:8 + n])
    hdr.pop("__metadata__", None)
    buf = raw[8 + n:]
    out = {}
    for k, e in hdr.items():
        b, end = e["data_offsets"]
        c = buf[b:end]
        if e["dtype"] == "F32":
            a = np.frombuffer(c, dtype="<f4")
        elif e["dtype"] == "BF16":
            a = (np.frombuffer(c, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        elif e["dtype"] == "F16":
            a = np.frombuffer(c, dtype="<f2").astype(np.float32)
        else:
            raise ValueError(e["dtype"])
        out[k] = torch.from_numpy(a.copy()).double().reshape(e["shape"])
    return out


def lin(W, x, name, bias=True):
    y = x @ W[name + ".weight"].T
    b = W.get(name + ".bias")
    if bias and b is not None:
        y = y + b
    return y


def ln(W, x, name, eps):
    return F.layer_norm(x, (x.shape[-1],), W[name + ".weight"], W[name + ".bias"], eps)


def rms(x, w, eps, add_one):
    y = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)
    return y * ((1.0 + w) if add_one else w)


def gelu_tanh(x):
    return F.gelu(x, approximate="tanh")


def softcap(x, cap):
    return x if cap is None else cap * torch.tanh(x / cap)


def attention(q, k, v, nh, nkv, mask=None, scale=None, cap=None):
    T, Tk = q.shape[0], k.shape[0]
    dh = q.shape[1] // nh
    q = q.view(T, nh, dh).transpose(0, 1)
    k = k.view(Tk, nkv, dh).transpose(0, 1).repeat_interleave(nh // nkv, dim=0)
    v = v.view(Tk, nkv, dh).transpose(0, 1).repeat_interleave(nh // nkv, dim=0)
    s = softcap(q @ k.transpose(1, 2) * (scale if scale is not None else 1 / math.sqrt(dh)), cap)
    if mask is not None:
        s = s.masked_fill(~mask, float("-inf"))
    o = s.softmax(-1) @ v
    return o.transpose(0, 1).reshape(T, nh * dh)


def rope(x, nh, dh, rot, theta):
    T = x.shape[0]
    x = x.view(T, nh, dh)
    inv = 1.0 / (theta ** (torch.arange(0, rot, 2, dtype=torch.float64) / rot))
    fr = torch.arange(T, dtype=torch.float64)[:, None] * inv[None]
    emb = torch.cat([fr, fr], -1)
    cos, sin = emb.cos()[:, None, :], emb.sin()[:, None, :]
    xr, xp = x[..., :rot], x[..., rot:]
    x1, x2 = xr[..., :rot // 2], xr[..., rot // 2:]
    xr = xr * cos + torch.cat([-x2, x1], -1) * sin
    return torch.cat([xr, xp], -1).reshape(T, nh * dh)


def causal(T, prefix=0):
    i = torch.arange(T)[:, None]
    j = torch.arange(T)[None, :]
    return (j <= i) | ((i < prefix) & (j < prefix))


def siglip(W, pre, px, vc):
    P, eps, nh = vc["patch_size"], vc.get("layer_norm_eps", 1e-6), vc["num_attention_heads"]
    h = F.conv2d(px, W[pre + "embeddings.patch_embedding.weight"], W[pre + "embeddings.patch_embedding.bias"], stride=P)
    h = h.flatten(2).transpose(1, 2)[0]
    h = h + W[pre + "embeddings.position_embedding.weight"]
    for l in range(vc["num_hidden_layers"]):
        p = f"{pre}encoder.layers.{l}."
        a = ln(W, h, p + "layer_norm1", eps)
        q, k, v = (lin(W, a, p + "self_attn." + n) for n in ("q_proj", "k_proj", "v_proj"))
        h = h + lin(W, attention(q, k, v, nh, nh), p + "self_attn.out_proj")
        a = ln(W, h, p + "layer_norm2", eps)
        h = h + lin(W, gelu_tanh(lin(W, a, p + "mlp.fc1")), p + "mlp.fc2")
    return ln(W, h, pre + "post_layernorm", eps)


def pixels(item, S):
    img = torch.tensor(item["image"], dtype=torch.float64).view(S, S, 3).permute(2, 0, 1)[None]
    return (img / 255.0 - 0.5) / 0.5
