"""The kernels a PyTorch process runs, for vlmq-bench to print beside its
times (imported by torch_ref.py and torch_vlm.py, written beside them)."""

def kernels(torch):
    """Names the kernels this PyTorch runs: its BLAS (OpenBLAS's kernel
    family, read from the loaded library) and ATen's CPU capability."""
    import ctypes
    import re
    parts = []
    x = torch.ones(8, 8)
    x @ x  # loads the BLAS
    try:
        libs = sorted({l.split()[-1] for l in open("/proc/self/maps") if "openblas" in l and ".so" in l})
        for path in libs:
            lib = ctypes.CDLL(path)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            parts.append("OpenBLAS %s kernels" % lib.openblas_get_corename().decode())
            break
        else:
            parts.append("BLAS: no OpenBLAS loaded")
    except (OSError, AttributeError) as e:
        parts.append("BLAS unknown (%s)" % e)
    cap = re.search(r"CPU capability usage: (\S+)", torch.__config__.show())
    if cap:
        parts.append("ATen " + cap.group(1))
    return ", ".join(parts)
