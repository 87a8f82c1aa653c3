#!/usr/bin/env python3
"""k-means peers on the data the CUDA bench uses: scikit-learn (CPU) and plain PyTorch (GPU).

    python3 bench/gpu/kmeans_peers.py [--data kmeans_4096x1024.f32]

--data is the raw float32 file written by `dinov3_cuda_bench <path>` (4096 x 1024, row-major);
without it, seeded uniform [-1, 1) data of that shape is generated. Prints a Markdown table with
median times and inertias, to set beside the dinov3_cuda_bench rows for the same shape.
"""
import argparse
import os
import statistics
import time

import numpy as np


def sklearn_row(x, k, iters, reps):
    from sklearn.cluster import KMeans

    def fit():
        return KMeans(n_clusters=k, n_init=1, max_iter=iters, random_state=0, algorithm="lloyd").fit(x)

    fit()  # warm-up (thread pools, imports)
    times, model = [], None
    for _ in range(reps):
        t0 = time.perf_counter()
        model = fit()
        times.append(time.perf_counter() - t0)
    threads = os.cpu_count()
    return ("scikit-learn KMeans (lloyd, n_init=1)", f"CPU, {threads} threads", model.n_iter_,
            statistics.median(times) * 1e3, float(model.inertia_))


def torch_kmeans(x, k, iters, generator):
    """k-means++ (one candidate per centre) then exactly `iters` Lloyd iterations."""
    import torch

    n = x.shape[0]
    x32 = x.float()
    x_sq = (x32 * x32).sum(1)
    first = torch.randint(n, (1,), device=x.device, generator=generator)
    centroids = [x32[first]]
    closest = ((x32 - centroids[0]) ** 2).sum(1)
    for _ in range(1, k):
        idx = torch.multinomial(closest, 1, generator=generator)
        centroids.append(x32[idx])
        closest = torch.minimum(closest, ((x32 - x32[idx]) ** 2).sum(1))
    c = torch.cat(centroids)
    for _ in range(iters):
        d = x_sq[:, None] - 2.0 * (x @ c.to(x.dtype).T).float() + (c * c).sum(1)[None, :]
        labels = d.argmin(1)
        sums = torch.zeros_like(c).index_add_(0, labels, x32)
        counts = torch.bincount(labels, minlength=k).to(c.dtype)
        c = torch.where(counts[:, None] > 0, sums / counts.clamp(min=1)[:, None], c)
    d = ((x32[:, None, :] - c[None, :, :]) ** 2).sum(2) if n * k * x.shape[1] < 2**28 else None
    if d is None:
        d = x_sq[:, None] - 2.0 * (x32 @ c.T) + (c * c).sum(1)[None, :]
    return float(d.min(1).values.clamp(min=0).sum())


def torch_row(x_np, k, iters, reps, half):
    import torch

    x = torch.from_numpy(x_np).cuda()
    if half:
        x = x.half()
    g = torch.Generator(device="cuda").manual_seed(0)
    torch_kmeans(x, k, iters, g)  # warm-up (kernels, cuBLAS handles)
    torch.cuda.synchronize()
    times, inertia = [], 0.0
    for _ in range(reps):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        inertia = torch_kmeans(x, k, iters, g)  # .item()-style sync inside via float()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    name = torch.cuda.get_device_name()
    return (f"PyTorch k-means++ + Lloyd ({'fp16 matmul' if half else 'fp32'})", f"GPU {name}", iters,
            statistics.median(times) * 1e3, inertia)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", help="raw float32 file from dinov3_cuda_bench")
    p.add_argument("--rows", type=int, default=4096)
    p.add_argument("--dim", type=int, default=1024)
    p.add_argument("--k", type=int, default=8)
    p.add_argument("--iterations", type=int, default=50)
    p.add_argument("--reps", type=int, default=20)
    a = p.parse_args()
    if a.data:
        x = np.fromfile(a.data, dtype="<f4").reshape(a.rows, a.dim)
        source = a.data
    else:
        x = np.random.default_rng(0).uniform(-1, 1, size=(a.rows, a.dim)).astype(np.float32)
        source = "numpy uniform [-1, 1), seed 0"
    print(f"data: {a.rows}x{a.dim} float32 from {source}; k={a.k}, max {a.iterations} iterations\n")
    print("| implementation | device | iterations | median ms | inertia |\n|---|---|---|---|---|")
    rows = [lambda: sklearn_row(x, a.k, a.iterations, max(3, a.reps // 4))]
    missing = None
    try:
        import torch

        if torch.cuda.is_available():
            rows += [lambda: torch_row(x, a.k, a.iterations, a.reps, False),
                     lambda: torch_row(x, a.k, a.iterations, a.reps, True)]
        else:
            missing = "| PyTorch | no CUDA device | - | - | - |"
    except ImportError:
        missing = "| PyTorch | not installed | - | - | - |"
    for make in rows:
        try:
            name, device, iters, ms, inertia = make()
            print(f"| {name} | {device} | {iters} | {ms:.2f} | {inertia:.6g} |", flush=True)
        except Exception as e:  # keep the other rows
            print(f"| failed | {type(e).__name__}: {e} | - | - | - |", flush=True)
    if missing:
        print(missing)
    print("\nscikit-learn stops when labels stop changing (n_iter_ may be < max); PyTorch always runs all "
          "iterations. Compare inertias with the dinov3 k-means rows (same data, same k).")


if __name__ == "__main__":
    main()
