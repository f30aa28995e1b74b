# Moondream 2 (2024 layout) in the float64 PyTorch reference
# (hfmodel/testdata/reference.py), from vikhyatk/moondream2 and Phi-1.5.
import torch

from torchref import attention, causal, gelu_tanh, lin, ln, pixels, rope

MODEL_TYPES = ["moondream1", "moondream2"]


def forward(W, cfg, item):
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
