"""Lever: onnxruntime's transformer optimizer (fused Attention, LayerNorm, Gelu) before int8
quantisation, against today's int8 export; two one-thread sessions side by side, batch 1."""
import sys, time, tempfile, os
from pathlib import Path
import numpy as np
sys.argv = [sys.argv[0]]
exec(open("/tmp/s18/emb.py").read().split("for cfg in")[0])  # texts, enc, lens, order, session(), run(), path
from onnxruntime.transformers import optimizer
from onnxruntime.quantization import QuantType, quantize_dynamic
import torch
from transformers import AutoModel
work = Path("/tmp/s18/opt"); work.mkdir(exist_ok=True)
fp32 = work / "fp32.onnx"
if not fp32.exists():
    model = AutoModel.from_pretrained(str(md), attn_implementation="eager").eval()
    class H(torch.nn.Module):
        def __init__(s, b): super().__init__(); s.b = b
        def forward(s, a, m, t): return s.b(input_ids=a, attention_mask=m, token_type_ids=t).last_hidden_state
    names = ["input_ids", "attention_mask", "token_type_ids"]
    with torch.no_grad():
        torch.onnx.export(H(model), tuple(torch.ones(2, 16, dtype=torch.long) for _ in names), str(fp32), input_names=names,
                          output_names=["last_hidden_state"], dynamic_axes={n: {0: "batch", 1: "seq"} for n in names + ["last_hidden_state"]},
                          opset_version=17, dynamo=False)
opt = optimizer.optimize_model(str(fp32), model_type="bert", num_heads=12, hidden_size=384, opt_level=1)
print("fused ops", opt.get_fused_operator_statistics())
opt.save_model_to_file(str(work / "opt.onnx"))
quantize_dynamic(str(work / "opt.onnx"), str(work / "opt-int8.onnx"), op_types_to_quantize=["MatMul", "Attention"],
                 per_channel=True, reduce_range=False, weight_type=QuantType.QInt8, extra_options={"DefaultTensorType": 1})
import onnxruntime as ort
def sess(p):
    o = ort.SessionOptions(); o.intra_op_num_threads = 1; o.inter_op_num_threads = 1
    o.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    o.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(p), o, providers=["CPUExecutionProvider"])
from concurrent.futures import ThreadPoolExecutor
def pooled(h, rows):
    m = np.zeros((len(rows), h.shape[1]), np.float32)
    for r, i in enumerate(rows): m[r, :lens[i]] = 1
    v = (h * m[:, :, None]).sum(1) / m.sum(1, keepdims=True); return v / np.linalg.norm(v, axis=1, keepdims=True)
def measure(p):
    ss = [sess(p), sess(p)]
    batches = [order[s:s + 1] for s in range(len(order))]
    parts = [batches[0::2], batches[1::2]]
    vecs = {}
    t = time.time()
    def work(k):
        for b in parts[k]:
            vecs[int(b[0])] = pooled(run(ss[k], b), b)[0]
    with ThreadPoolExecutor(2) as ex: list(ex.map(work, [0, 1]))
    return len(texts) / (time.time() - t), np.stack([vecs[i] for i in range(len(texts))])
for rnd in range(2):
    a, va = measure(path); b, vb = measure(work / "opt-int8.onnx")
    print(f"round {rnd}: today's int8 {a:.1f} chunks/s, optimized int8 {b:.1f} chunks/s, x{b/a:.2f}; cosine mean {(va*vb).sum(1).mean():.4f} min {(va*vb).sum(1).min():.4f}", flush=True)
# Before/after of the layout itself: one two-thread session (before) against one-thread sessions (after).
two, one = session(2), session(1)
va = np.stack([pooled(run(two, order[i:i+1]), order[i:i+1])[0] for i in range(len(order))])
vb = np.stack([pooled(run(one, order[i:i+1]), order[i:i+1])[0] for i in range(len(order))])
print(f"layout: max |difference| {np.abs(va-vb).max():.2e}, cosine min {(va*vb).sum(1).min():.7f}")
