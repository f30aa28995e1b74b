# Independent float64 PyTorch reference of the three VLM families' forward
# passes, written from the published architectures (transformers'
# PaliGemma/SigLIP/Gemma and Gemma 2, Salesforce xGen-MM's perceiver resampler + Phi-3,
# vikhyatk/moondream2 2024 + Phi-1.5). It reads the checkpoint by its Hugging
# Face tensor names and config.json, not through the Go code's neutral keys.
#
# usage: reference.py MODEL_DIR INPUT_JSON [MODEL_DIR INPUT_JSON ...]
#   -> prints one JSON list with {"logits": [...]} per pair
# INPUT_JSON: {"items": [{"image": [uint8 HWC], "tokens": [...],
#              "prompt_len": n}]}; for each item the logits predicting
# text tokens 0..len(tokens) are returned (len+1 rows). With "cotangent"
# (one [len+1][vocab] array per item) the output also has "grads": the
# gradient of sum(logits * cotangent) over all items for every checkpoint
# tensor, by its Hugging Face name, flattened.
import json, math, struct, sys

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)


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


def paligemma(W, cfg, item):
    vc, tc = cfg["vision_config"], cfg["text_config"]
    px = pixels(item, vc["image_size"])
    img = lin(W, siglip(W, "vision_tower.vision_model.", px, vc), "multi_modal_projector.linear")
    D, nh, nkv, dh = tc["hidden_size"], tc["num_attention_heads"], tc["num_key_value_heads"], tc["head_dim"]
    eps = tc.get("rms_norm_eps", 1e-6)
    img = img / math.sqrt(D)
    emb = W["language_model.model.embed_tokens.weight"]
    ids = [cfg["bos_token_id"]] + item["tokens"]
    x = torch.cat([img, emb[ids]], 0) * math.sqrt(D)
    N = img.shape[0]
    T = x.shape[0]
    mask = causal(T, N + 1 + item["prompt_len"])
    # Gemma 2 (transformers' Gemma2Config defaults; null turns a cap or the
    # window off): scores scaled by query_pre_attn_scalar^-1/2 and
    # soft-capped, even layers see only keys less than sliding_window
    # positions back (tril(diagonal=-window) over the prefix-LM mask),
    # sandwich norms, soft-capped logits.
    g2 = tc["model_type"] == "gemma2"
    scale, acap, fcap, window = None, None, None, None
    if g2:
        scale = tc.get("query_pre_attn_scalar", 256) ** -0.5
        acap = tc.get("attn_logit_softcapping", 50.0)
        fcap = tc.get("final_logit_softcapping", 30.0)
        window = tc.get("sliding_window", 4096)
    i, j = torch.arange(T)[:, None], torch.arange(T)[None, :]
    for l in range(tc["num_hidden_layers"]):
        p = f"language_model.model.layers.{l}."
        lmask = mask & (i - j < window) if g2 and l % 2 == 0 and window is not None else mask
        a = rms(x, W[p + "input_layernorm.weight"], eps, True)
        q = rope(lin(W, a, p + "self_attn.q_proj"), nh, dh, dh, tc.get("rope_theta", 10000.0))
        k = rope(lin(W, a, p + "self_attn.k_proj"), nkv, dh, dh, tc.get("rope_theta", 10000.0))
        v = lin(W, a, p + "self_attn.v_proj")
        o = lin(W, attention(q, k, v, nh, nkv, lmask, scale, acap), p + "self_attn.o_proj")
        if g2:
            x = x + rms(o, W[p + "post_attention_layernorm.weight"], eps, True)
            a = rms(x, W[p + "pre_feedforward_layernorm.weight"], eps, True)
        else:
            x = x + o
            a = rms(x, W[p + "post_attention_layernorm.weight"], eps, True)
        g = gelu_tanh(lin(W, a, p + "mlp.gate_proj")) * lin(W, a, p + "mlp.up_proj")
        f = lin(W, g, p + "mlp.down_proj")
        x = x + (rms(f, W[p + "post_feedforward_layernorm.weight"], eps, True) if g2 else f)
    x = rms(x, W["language_model.model.norm.weight"], eps, True)
    return softcap(x @ emb.T, fcap)[N:]


def xgenmm(W, cfg, item):
    vc, kc, tc = cfg["vision_encoder_config"], cfg["vision_tokenizer_config"], cfg["text_config"]
    px = pixels(item, vc["image_size"])
    f = siglip(W, "vlm.vision_encoder.", px, vc)
    lat = W["vlm.vision_tokenizer.latents"]
    heads, dhp = kc["heads"], kc["dim_head"]
    for i in range(kc["depth"]):
        p = f"vlm.vision_tokenizer.layers.{i}."
        xm = ln(W, f, p + "0.norm_media", 1e-5)
        la = ln(W, lat, p + "0.norm_latents", 1e-5)
        q = la @ W[p + "0.to_q.weight"].T
        k, v = (torch.cat([xm, la], 0) @ W[p + "0.to_kv.weight"].T).chunk(2, -1)
        lat = lat + attention(q, k, v, heads, heads) @ W[p + "0.to_out.weight"].T
        h = ln(W, lat, p + "1.0", 1e-5)
        lat = lat + F.gelu(h @ W[p + "1.1.weight"].T) @ W[p + "1.3.weight"].T
    img = lin(W, ln(W, lat, "vlm.vision_tokenizer.norm", 1e-5), "vlm.vision_tokenizer.projection")
    lm = "vlm.lang_model."
    emb = torch.cat([W[lm + "model.embed_tokens.weight"], W[lm + "model.embed_tokens.additional_embedding.weight"]], 0)
    x = torch.cat([emb[[tc["bos_token_id"]]], img, emb[item["tokens"]]], 0)
    D, nh = tc["hidden_size"], tc["num_attention_heads"]
    nkv, dh, I = tc.get("num_key_value_heads", nh), D // nh, tc["intermediate_size"]
    eps, theta = tc.get("rms_norm_eps", 1e-5), tc.get("rope_theta", 10000.0)
    T = x.shape[0]
    for l in range(tc["num_hidden_layers"]):
        p = f"{lm}model.layers.{l}."
        a = rms(x, W[p + "input_layernorm.weight"], eps, False)
        qkv = a @ W[p + "self_attn.qkv_proj.weight"].T
        q, k, v = qkv[:, :nh * dh], qkv[:, nh * dh:(nh + nkv) * dh], qkv[:, (nh + nkv) * dh:]
        q, k = rope(q, nh, dh, dh, theta), rope(k, nkv, dh, dh, theta)
        x = x + attention(q, k, v, nh, nkv, causal(T)) @ W[p + "self_attn.o_proj.weight"].T
        a = rms(x, W[p + "post_attention_layernorm.weight"], eps, False)
        g, u = (a @ W[p + "mlp.gate_up_proj.weight"].T).chunk(2, -1)
        x = x + (F.silu(g) * u) @ W[p + "mlp.down_proj.weight"].T
    x = rms(x, W[lm + "model.norm.weight"], eps, False)
    logits = torch.cat([lin(W, x, lm + "lm_head"), lin(W, x, lm + "lm_head.additional_fc")], -1)
    return logits[img.shape[0]:]


def moondream(W, cfg, item):
    vc, tc = cfg["vision_config"], cfg["text_config"]
    S, P, nhv = vc["image_size"], vc["patch_size"], vc["num_attention_heads"]
    px = pixels(item, S)
    s = S // P
    pre = "vision_encoder.encoder.model.visual."
    h = px.reshape(1, 3, s, P, s, P).permute(0, 2, 4, 1, 3, 5).reshape(s * s, 3 * P * P)
    h = lin(W, h, pre + "patch_embed.linear") + W[pre + "pos_embed"][0]
    for l in range(vc["num_hidden_layers"]):
        p = f"{pre}blocks.{l}."
        a = ln(W, h, p + "norm1", 1e-5)
        q, k, v = lin(W, a, p + "attn.qkv").chunk(3, -1)
        h = h + lin(W, attention(q, k, v, nhv, nhv), p + "attn.proj")
        a = ln(W, h, p + "norm2", 1e-5)
        h = h + lin(W, gelu_tanh(lin(W, a, p + "mlp.fc1")), p + "mlp.fc2")
    f = ln(W, h, pre + "norm", 1e-5)
    mp = "vision_encoder.projection.mlp."
    img = lin(W, gelu_tanh(lin(W, torch.cat([f, f], -1), mp + "fc1")), mp + "fc2")
    wte = W["text_model.transformer.embd.wte.weight"]
    x = torch.cat([wte[[tc["bos_token_id"]]], img, wte[item["tokens"]]], 0)
    D, nh = tc["hidden_size"], tc["num_attention_heads"]
    dh = D // nh
    rot = int(dh * tc.get("partial_rotary_factor", 0.5))
    T = x.shape[0]
    for l in range(tc["num_hidden_layers"]):
        p = f"text_model.transformer.h.{l}."
        a = ln(W, x, p + "ln", 1e-5)
        q, k, v = lin(W, a, p + "mixer.Wqkv").chunk(3, -1)
        q, k = rope(q, nh, dh, rot, 10000.0), rope(k, nh, dh, rot, 10000.0)
        att = lin(W, attention(q, k, v, nh, nh, causal(T)), p + "mixer.out_proj")
        mlp = lin(W, gelu_tanh(lin(W, a, p + "mlp.fc1")), p + "mlp.fc2")
        x = x + att + mlp
    x = ln(W, x, "text_model.lm_head.ln", 1e-5)
    return lin(W, x, "text_model.lm_head.linear")[img.shape[0]:]


def run(d, inp_path):
    cfg = json.load(open(d + "/config.json"))
    inp = json.load(open(inp_path))
    W = load(d)
    fam = {"paligemma": paligemma, "xgenmm": xgenmm, "moondream1": moondream}[cfg["model_type"]]
    if "cotangent" not in inp:
        with torch.no_grad():
            return {"logits": [fam(W, cfg, it).tolist() for it in inp["items"]]}
    for w in W.values():
        w.requires_grad_(True)
    logits = [fam(W, cfg, it) for it in inp["items"]]
    loss = sum((lg * torch.tensor(c, dtype=torch.float64)).sum() for lg, c in zip(logits, inp["cotangent"]))
    loss.backward()
    grads = {k: w.grad.flatten().tolist() for k, w in W.items() if w.grad is not None}
    return {"logits": [lg.detach().tolist() for lg in logits], "grads": grads}


def main():
    a = sys.argv[1:]
    print(json.dumps([run(a[i], a[i + 1]) for i in range(0, len(a), 2)]))


main()
