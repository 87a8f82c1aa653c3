#!/usr/bin/env python3
"""Export a DINOv3 ViT to ONNX for dinov3-trt (TensorRT on Jetson, ONNX Runtime elsewhere).

The export is the Hugging Face `DINOv3ViTModel` contract: input `pixel_values` [N, 3, H, W]
(ImageNet-normalised, H and W multiples of 16), outputs `last_hidden_state` [N, 1+R+P, D] and
`pooler_output` [N, D]. Two fixes make it build on every TensorRT that Jetson ships:

* RoPE: transformers computes the rotary angles with `angles.tile(2)`, which the exporter turns
  into an ONNX `If` node that TensorRT 10.3 (JetPack 6.1/6.2) cannot build (NVIDIA/TensorRT
  #4558). During the export `tile` is replaced by the equivalent `torch.cat`, and the graph is
  checked to contain no `If` node.
* `--opset 16` decomposes LayerNorm into primitive operators: TensorRT 8.5 (JetPack 5.1) cannot
  parse the opset-17 `LayerNormalization` operator.

After exporting, the ONNX is run with onnxruntime on random inputs at one or two sizes and
compared with the PyTorch model (max abs difference, per-token cosine); the exit status is
non-zero when it is off.

Usage
  python tools/export-onnx.py --model facebook/dinov3-vits16-pretrain-lvd1689m -o vits16.onnx
  python tools/export-onnx.py --model ./my-dinov3-folder --opset 16 -o vits16-jp5.onnx   # JetPack 5
  python tools/export-onnx.py --model ... --size 448x448 --dtype fp16 -o vits16-448-fp16.onnx
  python tools/export-onnx.py --pth dinov3_vits16_pretrain_lvd1689m-08c60483.pth --arch vits -o vits16.onnx
  python tools/export-onnx.py --tiny -o tiny.onnx          # seeded random small model (no download)
  python tools/export-onnx.py --fix-onnx model.onnx --opset 16 -o model-trt.onnx   # no PyTorch needed

`--fix-onnx` rewrites an existing export (e.g. an onnx-community DINOv3 ONNX) without PyTorch,
keeping its weights: it removes RoPE `If` nodes whose condition does not depend on the input
(inlining the branch taken) and, with `--opset 16`, replaces `LayerNormalization` by its
primitive-operator form. It needs the `onnx` package (and onnxruntime for its check).

Requirements: torch, transformers (>= 4.56, with DINOv3), onnx, onnxruntime (for the check).
"""

import argparse
import contextlib
import copy
import inspect
import json
import os
import sys
import time

# The shared conformance model dinov3-tiny-r4 (patch 16, 4 registers, RoPE, layer scale).
TINY_CONFIG = {
    "model_type": "dinov3_vit",
    "hidden_size": 64,
    "intermediate_size": 256,
    "num_hidden_layers": 3,
    "num_attention_heads": 4,
    "num_register_tokens": 4,
    "patch_size": 16,
    "image_size": 224,
    "num_channels": 3,
    "layerscale_value": 0.5,
    "layer_norm_eps": 1e-05,
    "rope_theta": 100.0,
    "hidden_act": "gelu",
    "use_gated_mlp": False,
    "query_bias": True,
    "key_bias": False,
    "value_bias": True,
    "proj_bias": True,
    "mlp_bias": True,
    "initializer_range": 0.02,
    "drop_path_rate": 0.0,
    "attention_dropout": 0.0,
    "pos_embed_rescale": 2.0,
}

OPSET17_ONLY = {"LayerNormalization", "SequenceMap", "DFT", "HannWindow", "HammingWindow", "BlackmanWindow",
                "MelWeightMatrix", "STFT"}


class ExportError(Exception):
    """A failure with a message for the user (no traceback)."""


def log(msg=""):
    print(msg, flush=True)


def parse_size(text):
    try:
        h, w = (int(v) for v in text.lower().replace("*", "x").split("x"))
    except ValueError:
        raise ExportError(f"size '{text}' must be HxW, e.g. 224x224")
    if h <= 0 or w <= 0 or h % 16 or w % 16:
        raise ExportError(f"size {h}x{w}: height and width must be positive multiples of the patch size 16")
    return h, w


# ---------------------------------------------------------------------------------------------
# ONNX graph helpers (need only the onnx package)
# ---------------------------------------------------------------------------------------------

def import_onnx():
    try:
        import onnx  # noqa: F401
        return onnx
    except ImportError:
        raise ExportError("the onnx package is required: pip install onnx")


def subgraphs(node):
    import onnx
    for attr in node.attribute:
        if attr.type == onnx.AttributeProto.GRAPH:
            yield attr.g
        elif attr.type == onnx.AttributeProto.GRAPHS:
            yield from attr.graphs


def all_nodes(graph):
    for node in graph.node:
        yield node
        for g in subgraphs(node):
            yield from all_nodes(g)


def count_ops(model, op_type):
    return sum(1 for n in all_nodes(model.graph) if n.op_type == op_type)


def default_opset(model):
    for imp in model.opset_import:
        if imp.domain in ("", "ai.onnx"):
            return imp.version
    return 0


def describe_value(v):
    dims = []
    for d in v.type.tensor_type.shape.dim:
        dims.append(d.dim_param if d.dim_param else (str(d.dim_value) if d.HasField("dim_value") else "?"))
    import onnx
    elem = onnx.TensorProto.DataType.Name(v.type.tensor_type.elem_type).lower()
    return f"{v.name} {elem}[{', '.join(dims)}]"


def summarize(model, path):
    size = os.path.getsize(path) / 1e6 if os.path.exists(path) else 0.0
    log(f"  file:        {path} ({size:.1f} MB)")
    log(f"  opset:       {default_opset(model)}")
    initializers = {i.name for i in model.graph.initializer}
    for v in model.graph.input:
        if v.name not in initializers:
            log(f"  input:       {describe_value(v)}")
    for v in model.graph.output:
        log(f"  output:      {describe_value(v)}")
    log(f"  If nodes:    {count_ops(model, 'If')}")
    log(f"  LayerNormalization nodes: {count_ops(model, 'LayerNormalization')}")


# ---------------------------------------------------------------------------------------------
# Numerical checks
# ---------------------------------------------------------------------------------------------

def compare(name, got, ref):
    """max abs difference and the smallest per-token cosine (rows over the last axis)."""
    import numpy as np
    got = np.asarray(got, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if got.shape != ref.shape:
        raise ExportError(f"{name}: shape {got.shape} differs from the reference {ref.shape}")
    finite = bool(np.isfinite(got).all())
    max_abs = float(np.max(np.abs(got - ref))) if got.size else 0.0
    a = got.reshape(-1, got.shape[-1])
    b = ref.reshape(-1, ref.shape[-1])
    na = np.linalg.norm(a, axis=1)
    nb = np.linalg.norm(b, axis=1)
    denom = np.where(na * nb > 0, na * nb, 1.0)
    cos = np.where(na * nb > 0, (a * b).sum(axis=1) / denom, np.where(na == nb, 1.0, 0.0))
    return {"name": name, "max_abs": max_abs, "min_cos": float(cos.min()) if cos.size else 1.0, "finite": finite}


def ort_session(model_or_path):
    try:
        import onnxruntime as ort
    except ImportError:
        return None, "onnxruntime is not installed (pip install onnxruntime)"
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    try:
        src = model_or_path if isinstance(model_or_path, (str, bytes)) else model_or_path.SerializeToString()
        return ort.InferenceSession(src, opts, providers=["CPUExecutionProvider"]), None
    except Exception as e:  # noqa: BLE001 - report whatever onnxruntime says
        return None, f"onnxruntime cannot load it: {str(e).splitlines()[0][:300]}"


def upcast_fp16_model(model):
    """A copy of an fp16 ONNX computing in fp32 (fp16 weights widened, Casts to fp16 made fp32).

    onnxruntime's CPU provider lacks fp16 kernels for many operators; this checks the exported
    graph's structure and weights instead of fp16 arithmetic.
    """
    import numpy as np
    import onnx
    from onnx import numpy_helper
    TP = onnx.TensorProto
    m = copy.deepcopy(model)

    def fix_tensor(t):
        if t.data_type == TP.FLOAT16:
            arr = numpy_helper.to_array(t).astype(np.float32)
            t.CopyFrom(numpy_helper.from_array(arr, t.name))

    def fix_graph(g):
        for t in g.initializer:
            fix_tensor(t)
        for v in list(g.input) + list(g.output) + list(g.value_info):
            if v.type.tensor_type.elem_type == TP.FLOAT16:
                v.type.tensor_type.elem_type = TP.FLOAT
        for n in g.node:
            for a in n.attribute:
                if a.name == "to" and a.i == TP.FLOAT16:
                    a.i = TP.FLOAT
                if a.type == onnx.AttributeProto.TENSOR:
                    fix_tensor(a.t)
            for sg in subgraphs(n):
                fix_graph(sg)

    fix_graph(m.graph)
    return m


def input_feeds(session, h, w, seed, dtype):
    import numpy as np
    rng = np.random.default_rng(seed)
    feeds = {}
    for inp in session.get_inputs():
        shape = [d if isinstance(d, int) and d > 0 else None for d in inp.shape]
        if len(shape) == 4:
            shape = [shape[0] or 1, shape[1] or 3, h, w]
        else:
            shape = [d or 1 for d in shape]
        feeds[inp.name] = rng.standard_normal(shape).astype(dtype)
    return feeds


def print_checks(rows, limits):
    log("  check (onnxruntime CPU vs reference):")
    log(f"    {'size':<9} {'output':<18} {'max |diff|':>11} {'min cosine':>11}  result")
    ok = True
    for size, r in rows:
        good = r["finite"] and r["max_abs"] <= limits["max_abs"] and r["min_cos"] >= limits["min_cos"]
        ok = ok and good
        log(f"    {size:<9} {r['name']:<18} {r['max_abs']:>11.3g} {r['min_cos']:>11.6f}  "
            f"{'ok' if good else 'FAIL'}{'' if r['finite'] else ' (NaN/Inf)'}")
    log(f"    limits: max |diff| <= {limits['max_abs']:g}, per-token cosine >= {limits['min_cos']:g}")
    return ok


# ---------------------------------------------------------------------------------------------
# PyTorch export
# ---------------------------------------------------------------------------------------------

@contextlib.contextmanager
def tile_as_cat(torch):
    """Replaces Tensor.tile / torch.tile by torch.cat while exporting (no ONNX If node)."""
    original_method = torch.Tensor.tile
    original_fn = torch.tile
    calls = [0]

    def tile(x, *dims):
        reps = dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list, torch.Size)) else dims
        reps = [int(r) for r in reps]
        if len(reps) > x.dim():
            return original_method(x, reps)
        reps = [1] * (x.dim() - len(reps)) + reps  # tile pads the repetitions on the left
        out = x
        for axis, r in enumerate(reps):
            if r != 1:
                out = torch.cat([out] * r, dim=axis)
        calls[0] += 1
        return out

    torch.Tensor.tile = tile
    torch.tile = lambda x, dims: tile(x, dims)
    try:
        yield calls
    finally:
        torch.Tensor.tile = original_method
        torch.tile = original_fn


def import_torch():
    try:
        import torch
    except ImportError:
        raise ExportError("PyTorch is required for exporting: pip install torch transformers onnx onnxruntime "
                          "(or use --fix-onnx on an existing ONNX, which needs only onnx)")
    try:
        import transformers  # noqa: F401
    except ImportError:
        raise ExportError("transformers is required: pip install 'transformers>=4.56'")
    return torch


def use_eager_attention(model):
    """Plain MatMul/Softmax attention (the graph TensorRT fuses best and our fp32 pinning finds)."""
    try:
        model.set_attn_implementation("eager")
        return
    except Exception:  # noqa: BLE001 - older transformers
        pass
    try:
        model.config._attn_implementation = "eager"
    except Exception:  # noqa: BLE001
        pass


def load_model(args, torch):
    try:
        from transformers import AutoModel, DINOv3ViTConfig, DINOv3ViTModel
    except ImportError:
        raise ExportError("this transformers has no DINOv3 (DINOv3ViTModel); pip install -U 'transformers>=4.56'")

    if args.tiny or args.random_init:
        cfg = dict(TINY_CONFIG)
        if args.config_json:
            with open(args.config_json) as f:
                cfg = json.load(f)
        torch.manual_seed(args.seed)
        config = DINOv3ViTConfig.from_dict(cfg)
        model = DINOv3ViTModel(config)
        source = f"random init (seed {args.seed}, {'config ' + args.config_json if args.config_json else 'tiny config'})"
    elif args.pth:
        model = load_pth(args.pth, args.arch, torch, DINOv3ViTModel)
        source = f"{args.pth} ({args.arch}, converted with transformers' DINOv3 conversion)"
    else:
        try:
            model = AutoModel.from_pretrained(args.model, attn_implementation="eager")
        except TypeError:
            model = AutoModel.from_pretrained(args.model)
        except OSError as e:
            raise ExportError(f"cannot load '{args.model}': {e}")
        source = args.model
    if model.__class__.__name__ != "DINOv3ViTModel":
        raise ExportError(f"{source} is a {model.__class__.__name__}, not a DINOv3 ViT (DINOv3ViTModel); the ConvNeXt "
                          "variants are not supported")
    use_eager_attention(model)
    return model.eval(), source


def load_pth(path, arch, torch, model_class):
    route = ("convert the checkpoint with transformers' script first, then export the folder it writes: "
             "python -m transformers.models.dinov3_vit.convert_dinov3_vit_to_hf --model-name " + (arch or "vits") +
             " --save-dir converted/   and   python tools/export-onnx.py --model converted/" + (arch or "vits"))
    if not arch:
        raise ExportError("--pth needs --arch (vits, vitsplus, vitb, vitl, vithplus, vit7b)")
    try:
        from transformers.models.dinov3_vit import convert_dinov3_vit_to_hf as conv
        config = conv.get_dinov3_config(arch)
        keymap = conv.convert_old_keys_to_new_keys
    except Exception as e:  # noqa: BLE001 - the conversion module's imports and API vary
        raise ExportError(f"transformers' DINOv3 conversion utilities are not usable here ({e}); {route}")
    state = torch.load(path, map_location="cpu")
    if isinstance(state, dict) and "model" in state and isinstance(state["model"], dict):
        state = state["model"]
    if hasattr(conv, "split_qkv"):
        state = conv.split_qkv(dict(state))
    names = keymap(list(state.keys()))
    converted = {names[k]: v for k, v in state.items() if "bias_mask" not in k}
    model = model_class(config)
    result = model.load_state_dict(converted, strict=False)
    missing = [k for k in result.missing_keys if not k.endswith("key.bias") and "inv_freq" not in k]
    if missing:
        raise ExportError(f"the checkpoint does not fit {arch}: missing {missing[:5]}... ; {route}")
    return model


def make_wrapper(torch, model):
    class ExportWrapper(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, pixel_values):
            out = self.inner(pixel_values=pixel_values)
            hidden = out.last_hidden_state if hasattr(out, "last_hidden_state") else out[0]
            pooled = out.pooler_output if hasattr(out, "pooler_output") else out[1]
            return hidden, pooled

    return ExportWrapper(model).eval()


def export(args):
    torch = import_torch()
    onnx = import_onnx()
    model, source = load_model(args, torch)
    reference = copy.deepcopy(model).float().eval()
    fp16 = args.dtype == "fp16"
    device = args.device
    if device == "auto":
        device = "cuda" if fp16 and torch.cuda.is_available() else "cpu"
    if fp16:
        # Keep the RoPE frequencies fp32 (transformers computes the angles in fp32).
        saved = {n: b.detach().clone() for n, b in model.named_buffers() if n.endswith("inv_freq")}
        model = model.half()
        for name, buf in saved.items():
            owner = model.get_submodule(name.rsplit(".", 1)[0]) if "." in name else model
            setattr(owner, name.rsplit(".", 1)[-1], buf)
    model = model.to(device)
    wrapper = make_wrapper(torch, model)
    h, w = parse_size(args.size) if args.size else (224, 224)
    dummy = torch.randn(1, 3, h, w, device=device, dtype=torch.float16 if fp16 else torch.float32)

    kwargs = dict(
        input_names=["pixel_values"],
        output_names=["last_hidden_state", "pooler_output"],
        opset_version=args.opset,
        do_constant_folding=True,
    )
    if not args.size:
        kwargs["dynamic_axes"] = {
            "pixel_values": {0: "batch", 2: "height", 3: "width"},
            "last_hidden_state": {0: "batch", 1: "tokens"},
            "pooler_output": {0: "batch"},
        }
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False  # the TorchScript exporter (what TensorRT's parser is tested with)

    out = args.output or default_output_name(args)
    log(f"exporting {source}")
    log(f"  opset {args.opset}, {'dynamic N/H/W' if not args.size else f'fixed {h}x{w}'}, {args.dtype}, on {device}")
    t0 = time.time()
    rope = contextlib.nullcontext([0]) if args.no_rope_fix else tile_as_cat(torch)
    try:
        with torch.no_grad(), rope as calls:
            torch.onnx.export(wrapper, (dummy,), out, **kwargs)
    except Exception as e:  # noqa: BLE001 - give the exporter's reason without a traceback
        hint = " (fp16 on the CPU: try --device cuda)" if fp16 and device == "cpu" else ""
        raise ExportError(f"torch.onnx.export failed{hint}: {str(e).splitlines()[0][:500]}")
    log(f"  exported in {time.time() - t0:.1f} s; tile -> cat rewrites: {calls[0]}")

    m = onnx.load(out, load_external_data=False)
    summarize(m, out)
    ok = True
    n_if = count_ops(m, "If")
    if n_if and not args.no_rope_fix:
        log(f"  FAIL: the graph still has {n_if} If node(s); TensorRT 10.3 cannot build it (NVIDIA/TensorRT #4558). "
            "This transformers' RoPE may no longer use tile: please report it.")
        ok = False
    if args.opset < 17 and count_ops(m, "LayerNormalization"):
        log("  FAIL: an opset-16 export must not contain LayerNormalization (TensorRT 8.5 cannot parse it)")
        ok = False

    if args.no_check:
        log("  numerical check skipped (--no-check)")
    else:
        sizes = [(h, w)] if args.size else [parse_size(s) for s in args.check_sizes.split(",") if s.strip()]
        ok = check_export(torch, out, reference, sizes, fp16, args.seed) and ok
    log(f"{'PASS' if ok else 'FAIL'}: {out}")
    return 0 if ok else 1


def check_export(torch, path, reference, sizes, fp16, seed):
    import numpy as np
    onnx = import_onnx()

    def run(session):
        dtype = np.float16 if "float16" in session.get_inputs()[0].type else np.float32
        rows = []
        for (h, w) in sizes:
            feeds = input_feeds(session, h, w, seed + h * 1000 + w, dtype)
            outs = session.run(["last_hidden_state", "pooler_output"], feeds)
            x = torch.from_numpy(next(iter(feeds.values())).astype(np.float32))
            with torch.no_grad():
                ref = reference(pixel_values=x)
            rows.append((f"{h}x{w}", compare("last_hidden_state", outs[0], ref.last_hidden_state.numpy())))
            rows.append((f"{h}x{w}", compare("pooler_output", outs[1], ref.pooler_output.numpy())))
        return rows

    rows, why = None, None
    session, why = ort_session(path)
    if session is not None:
        try:
            rows = run(session)
        except Exception as e:  # noqa: BLE001 - e.g. no fp16 kernel on the CPU provider
            why = f"onnxruntime cannot run it: {str(e).splitlines()[0][:300]}"
    if rows is None and fp16:
        # onnxruntime's CPU provider lacks fp16 kernels for many operators: check the graph's
        # structure and its (fp16-rounded) weights in fp32 arithmetic instead.
        session, why_up = ort_session(upcast_fp16_model(onnx.load(path)))
        if session is not None:
            try:
                rows = run(session)
                log(f"  note: {why}; checking the fp16 graph in fp32 arithmetic instead")
            except Exception as e:  # noqa: BLE001
                why_up = str(e).splitlines()[0][:300]
        if rows is None:
            why = f"{why}; fp32 upcast: {why_up}"
    if rows is None:
        log(f"  numerical check NOT RUN: {why}")
        return False
    limits = {"max_abs": 0.25, "min_cos": 0.99} if fp16 else {"max_abs": 1e-3, "min_cos": 0.9999}
    return print_checks(rows, limits)


def default_output_name(args):
    if args.tiny or args.random_init:
        base = "dinov3-tiny"
    elif args.pth:
        base = os.path.splitext(os.path.basename(args.pth))[0]
    else:
        base = args.model.rstrip("/").split("/")[-1]
    shape = args.size or "dynamic"
    return f"{base}-opset{args.opset}-{args.dtype}-{shape}.onnx"


# ---------------------------------------------------------------------------------------------
# --fix-onnx: rewrite an existing export (onnx only)
# ---------------------------------------------------------------------------------------------

def tensor_types(model):
    """name -> (elem_type, rank or None) from the graph and shape inference."""
    import onnx
    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    except Exception:  # noqa: BLE001 - inference is best effort
        inferred = model
    types = {}
    g = inferred.graph
    for v in list(g.input) + list(g.output) + list(g.value_info):
        tt = v.type.tensor_type
        rank = len(tt.shape.dim) if tt.HasField("shape") else None
        types[v.name] = (tt.elem_type, rank)
    for t in g.initializer:
        types[t.name] = (t.data_type, len(t.dims))
    return types


class StaticEvaluator:
    """Evaluates tensors that do not depend on the input's values (ranks, constants) with numpy."""

    FOLDABLE = {"Constant", "Shape", "Size", "Sub", "Add", "Mul", "Greater", "Less", "Equal", "Not", "Cast",
                "Identity", "Reshape", "Unsqueeze", "Squeeze", "Concat", "Gather", "GreaterOrEqual", "LessOrEqual"}

    def __init__(self, model):
        from onnx import numpy_helper
        self.np_helper = numpy_helper
        self.types = tensor_types(model)
        self.producer = {o: n for n in model.graph.node for o in n.output}
        self.const = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
        self.cache = {}

    def value(self, name, depth=0):
        import numpy as np
        if name in self.const:
            return self.const[name]
        if name in self.cache:
            return self.cache[name]
        node = self.producer.get(name)
        result = None
        if node is not None and node.op_type in self.FOLDABLE and depth < 64:
            result = self._eval(node, depth)
        self.cache[name] = result
        return result if result is None else np.asarray(result)

    SAME_RANK = {"Cast", "Identity", "Neg", "Cos", "Sin", "Sqrt", "Exp", "Erf", "Relu", "Sigmoid", "Tanh", "Abs",
                 "Softmax", "Transpose", "LayerNormalization", "Slice", "Tile", "Not", "Where"}
    BROADCAST = {"Add", "Sub", "Mul", "Div", "Pow", "Equal", "Greater", "Less", "And", "Or", "Where", "Max", "Min"}

    def rank(self, name, depth=0):
        """The rank of a tensor: from shape inference, else from the operator producing it."""
        elem, rank = self.types.get(name, (None, None))
        if rank is not None or depth > 64:
            return rank
        if name in self.const:
            return self.const[name].ndim
        node = self.producer.get(name)
        if node is None:
            return None
        op = node.op_type
        if op == "Flatten":
            return 2
        if op in ("Shape",):
            return 1
        if op in ("Size",):
            return 0
        if op == "Constant":
            v = self.value(name, depth + 1)
            return None if v is None else v.ndim
        ranks = [self.rank(i, depth + 1) for i in node.input if i]
        if op in self.SAME_RANK and ranks and ranks[0] is not None:
            return ranks[0]
        if op in self.BROADCAST and ranks and all(r is not None for r in ranks):
            return max(ranks)
        if op == "Concat" and ranks and ranks[0] is not None:
            return ranks[0]
        if op == "Unsqueeze" and ranks and ranks[0] is not None:
            axes = self._attr(node, "axes")
            if axes is None and len(node.input) > 1:
                v = self.value(node.input[1], depth + 1)
                axes = None if v is None else list(v.reshape(-1))
            return None if axes is None else ranks[0] + len(axes)
        if op == "Reshape" and len(node.input) > 1:
            elem_s, rank_s = self.types.get(node.input[1], (None, None))
            v = self.value(node.input[1], depth + 1)
            return None if v is None else int(v.size)
        if op == "MatMul" and ranks and all(r is not None for r in ranks):
            return max(ranks)
        return None

    def _attr(self, node, name, default=None):
        from onnx import helper
        for a in node.attribute:
            if a.name == name:
                return helper.get_attribute_value(a)
        return default

    def _eval(self, node, depth):
        import numpy as np
        op = node.op_type
        if op == "Constant":
            t = self._attr(node, "value")
            return self.np_helper.to_array(t) if t is not None else None
        if op == "Shape":
            # Only the rank is needed for tile's If conditions; unknown dims are -1.
            rank = self.rank(node.input[0])
            if rank is None:
                return None
            return np.full((rank,), -1, dtype=np.int64)
        ins = [self.value(i, depth + 1) if i else None for i in node.input]
        if op == "Size":
            return None if ins[0] is None else np.array(ins[0].size, dtype=np.int64)
        if any(v is None for v in ins):
            return None
        if op in ("Sub", "Add", "Mul", "Greater", "Less", "Equal", "GreaterOrEqual", "LessOrEqual"):
            if any((v < 0).any() for v in ins if v.dtype.kind in "iu"):
                return None  # an unknown dimension took part
            fn = {"Sub": np.subtract, "Add": np.add, "Mul": np.multiply, "Greater": np.greater, "Less": np.less,
                  "Equal": np.equal, "GreaterOrEqual": np.greater_equal, "LessOrEqual": np.less_equal}[op]
            return fn(ins[0], ins[1])
        if op == "Not":
            return np.logical_not(ins[0])
        if op in ("Identity", "Cast"):
            return ins[0]
        if op == "Reshape":
            return ins[0].reshape([int(d) for d in ins[1]]) if (ins[1] >= 0).all() else None
        if op == "Unsqueeze":
            axes = self._attr(node, "axes") or (list(ins[1]) if len(ins) > 1 else [])
            out = ins[0]
            for a in sorted(int(a) for a in axes):
                out = np.expand_dims(out, a if a >= 0 else out.ndim + 1 + a)
            return out
        if op == "Squeeze":
            return np.squeeze(ins[0])
        if op == "Concat":
            return np.concatenate([np.atleast_1d(v) for v in ins], axis=int(self._attr(node, "axis", 0)))
        if op == "Gather":
            return np.take(ins[0], ins[1], axis=int(self._attr(node, "axis", 0)))
        return None


def if_conditions_with_ort(model, ifs, sizes):
    """The value of each If's condition at several input sizes (must not depend on the input)."""
    import onnx
    m = copy.deepcopy(model)
    for node in ifs:
        m.graph.output.append(onnx.helper.make_tensor_value_info(node.input[0], onnx.TensorProto.BOOL, None))
    session, why = ort_session(m)
    if session is None:
        return None, why
    import numpy as np
    names = [n.input[0] for n in ifs]
    seen = None
    for (h, w) in sizes:
        feeds = input_feeds(session, h, w, 0, np.float16 if "float16" in session.get_inputs()[0].type else np.float32)
        values = [bool(np.asarray(v).reshape(-1)[0]) for v in session.run(names, feeds)]
        if seen is not None and values != seen:
            return None, "an If condition depends on the input size"
        seen = values
    return dict(zip(names, seen)), None


def inline_if(graph, node, cond):
    """Replaces `node` (an If) by the nodes of the branch taken."""
    from onnx import helper
    branch = None
    for a in node.attribute:
        if a.name == ("then_branch" if cond else "else_branch"):
            branch = a.g
    if branch is None:
        raise ExportError(f"If node {node.name} has no {'then' if cond else 'else'} branch")
    prefix = (node.name or node.output[0]) + "/inlined/"
    produced = {o for n in branch.node for o in n.output if o}
    rename = {}
    for n in branch.node:
        for o in n.output:
            if o:
                rename[o] = prefix + o
    for i, out in enumerate(branch.output):
        if out.name in produced:
            rename[out.name] = node.output[i]
    for t in branch.initializer:
        new = copy.deepcopy(t)
        new.name = prefix + t.name
        rename[t.name] = new.name
        graph.initializer.append(new)
    new_nodes = []
    for n in branch.node:
        c = copy.deepcopy(n)
        del c.input[:]
        c.input.extend(rename.get(i, i) for i in n.input)
        del c.output[:]
        c.output.extend(rename.get(o, o) if o else o for o in n.output)
        c.name = prefix + n.name if n.name else ""
        new_nodes.append(c)
    for i, out in enumerate(branch.output):
        if out.name not in produced:  # the branch passes an outer value through
            new_nodes.append(helper.make_node("Identity", [out.name], [node.output[i]], name=f"{prefix}passthrough{i}"))
    nodes = list(graph.node)
    index = next(i for i, n in enumerate(nodes) if n.op_type == "If" and list(n.output) == list(node.output))
    nodes[index:index + 1] = new_nodes
    del graph.node[:]
    graph.node.extend(nodes)


def outer_names(graph):
    names = set()
    for n in graph.node:
        names.update(i for i in n.input if i)
        for g in subgraphs(n):
            names |= outer_names(g)
    return names


def prune(graph):
    """Drops nodes (and initializers) nothing uses any more."""
    needed = {o.name for o in graph.output}
    keep = []
    for n in reversed(list(graph.node)):
        if any(o in needed for o in n.output if o):
            keep.append(n)
            needed.update(i for i in n.input if i)
            for g in subgraphs(n):
                needed |= outer_names(g)
    removed = len(graph.node) - len(keep)
    keep.reverse()
    del graph.node[:]
    graph.node.extend(keep)
    inits = [t for t in graph.initializer if t.name in needed]
    del graph.initializer[:]
    graph.initializer.extend(inits)
    return removed


def decompose_layernorm(model):
    """LayerNormalization -> ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add (opset 16)."""
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper
    TP = onnx.TensorProto
    graph = model.graph
    types = tensor_types(model)
    used = outer_names(graph) | {o.name for o in graph.output}
    nodes = []
    count = 0
    for n in graph.node:
        if n.op_type != "LayerNormalization":
            nodes.append(n)
            continue
        count += 1
        attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
        axis = int(attrs.get("axis", -1))
        eps = float(attrs.get("epsilon", 1e-5))
        for extra in n.output[1:]:
            if extra and extra in used:
                raise ExportError(f"{n.name}: its Mean/InvStdDev outputs are used; cannot decompose it")
        x, scale = n.input[0], n.input[1]
        bias = n.input[2] if len(n.input) > 2 and n.input[2] else None
        elem, rank = types.get(x, (TP.FLOAT, None))
        if axis < 0:
            axes = list(range(axis, 0))
        elif rank is not None:
            axes = list(range(axis, rank))
        else:
            raise ExportError(f"{n.name}: axis {axis} needs the input's rank, which shape inference did not give")
        p = (n.name or n.output[0]) + "/"
        half = elem in (TP.FLOAT16, TP.BFLOAT16)
        two = numpy_helper.from_array(np.array(2.0, dtype=np.float32), p + "two")
        epsilon = numpy_helper.from_array(np.array(eps, dtype=np.float32), p + "eps")
        graph.initializer.extend([two, epsilon])
        src = x
        if half:  # LayerNormalization's stash_type: compute in fp32
            nodes.append(helper.make_node("Cast", [x], [p + "x32"], name=p + "CastIn", to=TP.FLOAT))
            src = p + "x32"
        elif elem != TP.FLOAT:
            raise ExportError(f"{n.name}: input type {TP.DataType.Name(elem)} is not supported")
        nodes += [
            helper.make_node("ReduceMean", [src], [p + "mean"], name=p + "ReduceMean", axes=axes, keepdims=1),
            helper.make_node("Sub", [src, p + "mean"], [p + "d"], name=p + "Sub"),
            helper.make_node("Pow", [p + "d", p + "two"], [p + "d2"], name=p + "Pow"),
            helper.make_node("ReduceMean", [p + "d2"], [p + "var"], name=p + "ReduceMean_1", axes=axes, keepdims=1),
            helper.make_node("Add", [p + "var", p + "eps"], [p + "ve"], name=p + "Add"),
            helper.make_node("Sqrt", [p + "ve"], [p + "std"], name=p + "Sqrt"),
            helper.make_node("Div", [p + "d", p + "std"], [p + "norm"], name=p + "Div"),
        ]
        norm = p + "norm"
        if half:
            nodes.append(helper.make_node("Cast", [norm], [p + "norm16"], name=p + "CastOut", to=elem))
            norm = p + "norm16"
        y = n.output[0]
        if bias:
            nodes.append(helper.make_node("Mul", [norm, scale], [p + "scaled"], name=p + "Mul"))
            nodes.append(helper.make_node("Add", [p + "scaled", bias], [y], name=p + "Add_1"))
        else:
            nodes.append(helper.make_node("Mul", [norm, scale], [y], name=p + "Mul"))
    del graph.node[:]
    graph.node.extend(nodes)
    return count


def save_model(model, path):
    import onnx
    try:
        small = model.ByteSize() < 1_900_000_000
    except Exception:  # noqa: BLE001 - protobuf refuses > 2 GB
        small = False
    if small:
        onnx.save(model, path)
    else:
        onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=os.path.basename(path) + ".data")


def fix_onnx(args):
    onnx = import_onnx()
    src = args.fix_onnx
    if not os.path.exists(src):
        raise ExportError(f"{src} does not exist")
    model = onnx.load(src)
    original = copy.deepcopy(model)
    current = default_opset(model)
    target = args.opset if args.opset_given else current
    log(f"fixing {src} (opset {current} -> {target})")
    sizes = [parse_size(s) for s in args.check_sizes.split(",") if s.strip()]

    # 1. If nodes of the main graph whose condition does not depend on the input.
    ifs = [n for n in model.graph.node if n.op_type == "If"]
    if ifs:
        evaluator = StaticEvaluator(model)
        values = {}
        for n in ifs:
            v = evaluator.value(n.input[0])
            if v is not None and v.size == 1:
                values[n.input[0]] = bool(v.reshape(-1)[0])
        how = "statically"
        if len(values) < len(ifs):
            values, why = if_conditions_with_ort(model, ifs, sizes)
            how = "with onnxruntime"
            if values is None:
                raise ExportError(f"cannot decide the If conditions: {why}")
        for n in ifs:
            inline_if(model.graph, n, values[n.input[0]])
        removed = prune(model.graph)
        log(f"  removed {len(ifs)} If node(s) (conditions evaluated {how}); {removed} dead nodes pruned")
    left = count_ops(model, "If")
    if left:
        raise ExportError(f"{left} If node(s) remain inside subgraphs; not supported")

    # 2. Opset.
    if target != current:
        if not (current == 17 and target == 16):
            raise ExportError(f"--fix-onnx lowers opset 17 to 16 only (this model is opset {current})")
        n = decompose_layernorm(model)
        for imp in model.opset_import:
            if imp.domain in ("", "ai.onnx"):
                imp.version = target
        log(f"  decomposed {n} LayerNormalization node(s) into opset-16 operators")
    bad = {n.op_type for n in all_nodes(model.graph)} & OPSET17_ONLY if target < 17 else set()
    if bad:
        raise ExportError(f"operators newer than opset {target} remain: {sorted(bad)}")

    onnx.checker.check_model(model)
    out = args.output or os.path.splitext(src)[0] + f"-fixed-opset{target}.onnx"
    save_model(model, out)
    summarize(model, out)

    ok = True
    if args.no_check:
        log("  numerical check skipped (--no-check)")
    else:
        ok = check_fix(original, out, sizes)
    log(f"{'PASS' if ok else 'FAIL'}: {out}")
    return 0 if ok else 1


def check_fix(original, out, sizes):
    import numpy as np
    before, why = ort_session(original)
    after, why2 = ort_session(out)
    if before is None or after is None:
        log(f"  numerical check NOT RUN: {why or why2}")
        return True  # the rewrite itself succeeded and passed onnx.checker
    fixed_dims = [d for d in before.get_inputs()[0].shape[2:] if isinstance(d, int) and d > 0]
    if len(fixed_dims) == 2:
        sizes = [tuple(fixed_dims)]
    dtype = np.float16 if "float16" in before.get_inputs()[0].type else np.float32
    rows = []
    for (h, w) in sizes:
        feeds = input_feeds(before, h, w, h * 1000 + w, dtype)
        names = [o.name for o in before.get_outputs()]
        a = before.run(names, feeds)
        b = after.run(names, feeds)
        for name, x, y in zip(names, b, a):
            rows.append((f"{h}x{w}", compare(name, x, y)))
    limits = {"max_abs": 1e-2, "min_cos": 0.999} if dtype == np.float16 else {"max_abs": 1e-4, "min_cos": 0.99999}
    return print_checks(rows, limits)


# ---------------------------------------------------------------------------------------------

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="See the module docstring (head tools/export-onnx.py) and docs/JETSON.md.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--model", help="Hugging Face model id or local folder (DINOv3ViTModel)")
    src.add_argument("--pth", help="official DINOv3 .pth checkpoint (converted through transformers; needs --arch)")
    src.add_argument("--tiny", action="store_true", help="seeded random tiny DINOv3 (the shared conformance config)")
    src.add_argument("--random-init", action="store_true", help="seeded random DINOv3 from --config-json")
    src.add_argument("--fix-onnx", metavar="ONNX", help="rewrite an existing ONNX export (no PyTorch)")
    p.add_argument("--arch", choices=["vits", "vitsplus", "vitb", "vitl", "vithplus", "vit7b"], help="for --pth")
    p.add_argument("--config-json", help="DINOv3ViTConfig JSON for --random-init / --tiny")
    p.add_argument("--seed", type=int, default=1234, help="seed of random init and check inputs (default 1234)")
    p.add_argument("-o", "--output", help="output .onnx path")
    p.add_argument("--opset", type=int, choices=[16, 17], default=None,
                   help="17 (default; TensorRT >= 8.6) or 16 (TensorRT 8.5 / JetPack 5: LayerNorm decomposed)")
    shape = p.add_mutually_exclusive_group()
    shape.add_argument("--dynamic", action="store_true", help="dynamic batch, height and width (default)")
    shape.add_argument("--size", help="fixed HxW instead, e.g. 448x448")
    p.add_argument("--dtype", choices=["fp32", "fp16"], default="fp32",
                   help="weights and I/O type (fp16 is what TensorRT 11's strong typing builds as fp16)")
    p.add_argument("--device", default="auto", help="export device: auto (cuda for fp16 when available), cpu, cuda")
    p.add_argument("--check-sizes", default="224x224,320x480", help="HxW sizes of the onnxruntime check (dynamic)")
    p.add_argument("--no-check", action="store_true", help="skip the onnxruntime comparison")
    p.add_argument("--no-rope-fix", action="store_true", help="export tile as is (reproduces the If node; testing)")
    args = p.parse_args(argv)
    args.opset_given = args.opset is not None
    if args.opset is None:
        args.opset = 17
    if args.random_init and not args.config_json:
        p.error("--random-init needs --config-json (or use --tiny)")
    try:
        if args.fix_onnx:
            return fix_onnx(args)
        return export(args)
    except ExportError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
