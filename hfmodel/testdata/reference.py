# Independent float64 PyTorch reference of the VLM families' forward
# passes, written from the published architectures: each family's in its
# folder (hfmodel/<family>/reference.py, found by model_type), the shared
# blocks in torchref.py. It reads the checkpoint by its Hugging Face
# tensor names and config.json, not through the Go code's neutral keys.
#
# usage: reference.py MODEL_DIR INPUT_JSON [MODEL_DIR INPUT_JSON ...]
#   -> prints one JSON list with {"logits": [...]} per pair
# INPUT_JSON: {"items": [{"image": [uint8 HWC], "tokens": [...],
#              "prompt_len": n}]}; for each item the logits predicting
# text tokens 0..len(tokens) are returned (len+1 rows). With "cotangent"
# (one [len+1][vocab] array per item) the output also has "grads": the
# gradient of sum(logits * cotangent) over all items for every checkpoint
# tensor, by its Hugging Face name, flattened.
import glob, importlib.util, json, os, sys

import torch

from torchref import load

torch.set_num_threads(1)


def families():
    """Each family's forward pass by model_type, from the reference.py in
    its own folder (hfmodel/<family>/), so a new family brings its own."""
    here = os.path.dirname(os.path.abspath(__file__))
    out = {}
    for path in sorted(glob.glob(os.path.join(here, "..", "*", "reference.py"))):
        if os.path.samefile(path, __file__):
            continue
        name = os.path.basename(os.path.dirname(path))
        spec = importlib.util.spec_from_file_location("family_" + name, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        for t in mod.MODEL_TYPES:
            out[t] = mod.forward
    return out


def run(fams, d, inp_path):
    cfg = json.load(open(d + "/config.json"))
    inp = json.load(open(inp_path))
    W = load(d)
    fam = fams[cfg["model_type"]]
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
    a, fams = sys.argv[1:], families()
    print(json.dumps([run(fams, a[i], a[i + 1]) for i in range(0, len(a), 2)]))


if __name__ == "__main__":
    main()
